import rvi_scheduling.calendar.models  # noqa: F401  (registers the sub-packages' tables)
from rvi_scheduling.models import SCHEMA, Base
from rvi_shared.migrations import run_env

run_env(Base.metadata, SCHEMA)
