from rvi_shared.serve import serve

from rvi_scheduling.settings import SchedulingSettings

if __name__ == "__main__":
    serve("rvi_scheduling", "rvi_scheduling.app:create_app", SchedulingSettings())
