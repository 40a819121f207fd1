"""A real RTSP camera for tests: GStreamer's RTSP server with one shared media factory
(../MEDIA facts). Runs under Debian's /usr/bin/python3 (python3-gi, gir1.2-gst-rtsp-server-1.0;
`make system-deps`), not the venv's python, so it imports nothing from the project.

    /usr/bin/python3 rtsp_camera.py --port 0 --codec h264

prints `READY rtsp://127.0.0.1:<port>/cam1` once the server listens (port 0: the OS picks one)."""

from __future__ import annotations

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

READY = "READY"
RESIZE = "resize"


def launch_line(
    codec: str,
    width: int,
    height: int,
    fps: int,
    bitrate_kbps: int,
    key_int_max: int,
    inband_parameter_sets: bool,
    profile: str = "constrained-baseline",
    bframes: int = 0,
    audio: str = "none",
    mislabel: bool = False,
    resizable: bool = False,
) -> str:
    # The clock keeps every picture different, so the encoder works as it would on a real scene.
    overlay = " ! clockoverlay" if Gst.ElementFactory.find("clockoverlay") else ""
    source = (
        f"videotestsrc is-live=true pattern=smpte ! video/x-raw,width={width},height={height},framerate={fps}/1"
        f"{overlay}"
    )
    if resizable:  # the picture size changes mid-stream when `resize` sets this filter's caps
        source += f' ! videoscale ! capsfilter name={RESIZE} caps="video/x-raw,width={width},height={height}"'

    # mislabel: H.264 payload under an SDP that says H265 (a camera whose firmware lies).
    pay0 = "name=h264pay" if mislabel else "name=pay0"
    relabel = ' ! capssetter name=pay0 caps="application/x-rtp,encoding-name=(string)H265"' if mislabel else ""
    if codec == "h264":
        # Without in-band parameter sets (as some cameras do) SPS/PPS travel only in the SDP.
        interval, repeat = (1, "") if inband_parameter_sets else (0, " option-string=repeat-headers=0")
        # B-frames need the encoder's lookahead: zerolatency would turn them off.
        tuning = (
            f"speed-preset=superfast bframes={bframes} b-adapt=false"
            if bframes
            else "tune=zerolatency speed-preset=ultrafast"
        )
        encode = (
            f"x264enc {tuning} bitrate={bitrate_kbps} key-int-max={key_int_max}{repeat}"
            f" ! video/x-h264,profile={profile}"
            f" ! rtph264pay {pay0} pt=96 config-interval={interval}{relabel}"
        )
    elif codec == "h265":
        encode = (
            f"x265enc tune=zerolatency speed-preset=ultrafast bitrate={bitrate_kbps} key-int-max={key_int_max}"
            " ! video/x-h265,profile=main ! rtph265pay name=pay0 pt=96 config-interval=1"
        )
    elif codec == "mjpeg":
        encode = "videoconvert ! video/x-raw,format=I420 ! jpegenc quality=60 ! rtpjpegpay name=pay0 pt=26"
    elif codec == "vp9":  # a codec the gateway does not relay
        encode = f"vp9enc deadline=1 cpu-used=8 target-bitrate={bitrate_kbps * 1000} ! rtpvp9pay name=pay0 pt=96"
    else:
        encode = (
            f"vp8enc deadline=1 cpu-used=8 end-usage=cbr target-bitrate={bitrate_kbps * 1000}"
            f" keyframe-max-dist={key_int_max} ! rtpvp8pay name=pay0 pt=96"
        )
    sound = ""
    if audio != "none":
        tone = "audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample"
        sound = {
            "pcma": f" {tone} ! audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay name=pay1 pt=8",
            "pcmu": f" {tone} ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay name=pay1 pt=0",
            "aac": f" {tone} ! audio/x-raw,rate=16000,channels=1 ! voaacenc ! rtpmp4gpay name=pay1 pt=97",
            "opus": f" {tone} ! audio/x-raw,rate=48000 ! opusenc ! rtpopuspay name=pay1 pt=98",
        }[audio]
    return f"( {source} ! {encode}{sound} )"


def _resize_later(factory: object, media: object, after_s: float, width: int, height: int) -> None:
    """A camera whose operator changes the resolution mid-stream: the encoder restarts with new
    parameter sets (a new SPS) on the same RTSP session."""
    size = media.get_element().get_by_name(RESIZE)  # type: ignore[attr-defined]

    def resize() -> bool:
        size.set_property("caps", Gst.Caps.from_string(f"video/x-raw,width={width},height={height}"))
        return False

    GLib.timeout_add(int(after_s * 1000), resize)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: a free port chosen by the OS")
    parser.add_argument("--path", default="/cam1")
    parser.add_argument("--codec", choices=("h264", "h265", "mjpeg", "vp8", "vp9"), default="h264")
    parser.add_argument("--profile", default="constrained-baseline", help="H.264 profile")
    parser.add_argument("--bframes", type=int, default=0, help="H.264 B-frames between references")
    parser.add_argument("--audio", choices=("none", "pcma", "pcmu", "aac", "opus"), default="none")
    parser.add_argument("--mislabel", action="store_true", help="H.264 sent under an SDP saying H265")
    parser.add_argument(
        "--resize-after", type=float, default=0, help="seconds after the first client: the picture size changes"
    )
    parser.add_argument("--resize-to", default="", help="WIDTHxHEIGHT of the picture after --resize-after")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--bitrate", type=int, default=2000, help="kb/s")
    parser.add_argument("--key-int-max", type=int, default=50, help="frames between keyframes at most")
    parser.add_argument(
        "--no-inband-parameter-sets",
        dest="inband",
        action="store_false",
        help="H.264: SPS/PPS only in the SDP, never in the stream",
    )
    args = parser.parse_args(argv)

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        launch_line(
            args.codec,
            args.width,
            args.height,
            args.fps,
            args.bitrate,
            args.key_int_max,
            args.inband,
            profile=args.profile,
            bframes=args.bframes,
            audio=args.audio,
            mislabel=args.mislabel,
            resizable=args.resize_after > 0,
        )
    )
    factory.set_shared(True)
    if args.resize_after > 0:
        width, height = (int(n) for n in args.resize_to.split("x"))
        factory.connect("media-configure", _resize_later, args.resize_after, width, height)
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on {args.host}:{args.port}", file=sys.stderr)
        return 1

    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    print(f"{READY} rtsp://{args.host}:{server.get_bound_port()}{args.path}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
