import rvi_scheduling.calendar.models  # noqa: F401  (registers the sub-packages' tables)
import rvi_scheduling.notifications.models  # noqa: F401
import rvi_scheduling.rosters.models  # noqa: F401
from rvi_scheduling.models import SCHEMA, Base
from rvi_shared.migrations import run_env

run_env(Base.metadata, SCHEMA)
