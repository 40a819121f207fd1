from rvi_shared.serve import serve
from rvi_video_gateway.settings import VideoGatewaySettings

if __name__ == "__main__":
    serve("rvi_video_gateway", "rvi_video_gateway.app:create_app", VideoGatewaySettings())
