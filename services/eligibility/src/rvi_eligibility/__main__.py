from rvi_eligibility.settings import EligibilitySettings
from rvi_shared.serve import serve

if __name__ == "__main__":
    serve("rvi_eligibility", "rvi_eligibility.app:create_app", EligibilitySettings())
