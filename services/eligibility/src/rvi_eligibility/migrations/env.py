from rvi_eligibility.models import SCHEMA, Base
from rvi_shared.migrations import run_env

run_env(Base.metadata, SCHEMA)
