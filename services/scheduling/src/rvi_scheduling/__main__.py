from rvi_scheduling.settings import SchedulingSettings
from rvi_shared.serve import serve

if __name__ == "__main__":
    serve("rvi_scheduling", "rvi_scheduling.app:create_app", SchedulingSettings())
