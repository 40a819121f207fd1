from rvi_shared.migrations import run_env
from rvi_video_gateway.models import SCHEMA, Base

run_env(Base.metadata, SCHEMA)
