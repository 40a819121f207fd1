"""`python -m rvi_platform.console`: serve the console (embedded stack)."""

import uvicorn

from rvi_platform.console.app import create_app
from rvi_platform.console.settings import ConsoleSettings

if __name__ == "__main__":
    settings = ConsoleSettings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")
