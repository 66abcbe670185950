#!/usr/bin/python3
"""A stand-in IP camera for the proxy tests: gst-rtsp-server serving /cam, a live
shared H.264 + AAC test pattern, on 127.0.0.1:PORT. Prints "ready PORT" once serving.

    /usr/bin/python3 _testing/gst_rtsp_camera.py PORT
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

LAUNCH = (
    "( videotestsrc is-live=true pattern=smpte ! video/x-raw,width=320,height=240,framerate=25/1"
    " ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 bframes=0"
    " ! video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96"
    " audiotestsrc is-live=true wave=sine ! audio/x-raw,rate=48000,channels=1"
    " ! avenc_aac ! rtpmp4gpay name=pay1 pt=97 )"
)


def main():
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(sys.argv[1] if len(sys.argv) > 1 else "0")
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(LAUNCH)
    factory.set_shared(True)
    server.get_mount_points().add_factory("/cam", factory)
    source = server.attach(None)
    if source == 0:
        sys.exit("cannot listen")
    print(f"ready {server.get_bound_port()}", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
