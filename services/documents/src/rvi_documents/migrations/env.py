from rvi_documents.models import SCHEMA, Base
from rvi_shared.migrations import run_env

run_env(Base.metadata, SCHEMA)
