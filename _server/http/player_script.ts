/**
 * The player page's script, served as `/player.js` from this string: plays
 * `/ws/<path>` through W3C Media Source Extensions.
 *
 * - Checks `MediaSource.isTypeSupported(mime)` with the type the server
 *   sends first, and says plainly when the browser cannot play those codecs
 *   (H.265 in Chromium on Linux, for one) instead of showing a black box.
 * - One `SourceBuffer` in `"segments"` mode (MSE, 3.1 `AppendMode`): each
 *   fragment's own decode times place it, so a gap after dropped fragments
 *   stays a gap and the player jumps it.
 * - Chases the live edge of a live stream: when more than a second behind
 *   the buffered end, it seeks to just before it; it trims what is long
 *   played (MSE, 3.2 `remove()`), so a page left open does not fill the
 *   browser's quota. A file (the server says `"timeline": "file"`) is played
 *   from its start as it comes, without skipping ahead.
 * - Reconnects by itself, backing off from 0.5 s to 10 s; except when a
 *   file ended (close code 1000): then it ends the stream (MSE, 3.1
 *   `endOfStream()`), so the `<video>` ends too, rather than start it again.
 * - Without MSE (iPhone Safari) it gives the `<video>` the HLS playlist,
 *   `/<path>/index.m3u8`, to play natively: LL-HLS for a live path, a VOD
 *   playlist for a file under `--root` (`hls_vod.ts`), which the browser's
 *   own controls seek in.
 *
 * Everything from the server or the URL goes into the page as text only.
 * @module
 */

/** The player gives up this far behind the buffered end and seeks (seconds). */
export const LIVE_EDGE_MAX_LAG_S = 0.5;

/** The script: plain ES2017, no dependencies. */
export const PLAYER_JS = `"use strict";
(function () {
  var MAX_LAG_S = ${LIVE_EDGE_MAX_LAG_S};
  var EDGE_MARGIN_S = 0.15;
  var KEEP_BEHIND_S = 10;
  var TRIM_AFTER_S = 30;
  var MIN_BACKOFF_MS = 500;
  var MAX_BACKOFF_MS = 10000;
  var MAX_QUEUED = 300;
  var video = document.getElementById("video");
  var statusLine = document.getElementById("player-status");
  // /play/<path> -> <path>, still percent-encoded as in the URL.
  var path = location.pathname.replace(/^\\/play/, "");
  var backoffMs = MIN_BACKOFF_MS;

  function say(text) {
    statusLine.textContent = text;
  }

  function nativeHls() {
    if (!video.canPlayType("application/vnd.apple.mpegurl")) {
      say("This browser has neither Media Source Extensions nor native HLS: play the stream over RTSP.");
      return;
    }
    video.src = path + "/index.m3u8";
    video.dataset.mode = "hls";
    say("Playing over native HLS.");
    video.play().catch(function () {});
  }

  function connect() {
    var media = new MediaSource();
    var buffer = null;
    var mime = null;
    var queue = [];
    var gaveUp = false;
    var gotMedia = false;
    var file = false;
    var fileEnded = false;
    var objectUrl = URL.createObjectURL(media);
    video.src = objectUrl;
    video.dataset.mode = "mse";
    var socket = new WebSocket(
      (location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host + "/ws" + path,
    );
    socket.binaryType = "arraybuffer";
    socket.onopen = function () {
      // How many times it connected: a reconnect shows as 2, 3...
      video.dataset.connections = String(Number(video.dataset.connections || 0) + 1);
    };
    var ticker = setInterval(chase, 500);
    say("Connecting…");

    media.addEventListener("sourceopen", function () {
      URL.revokeObjectURL(objectUrl);
      pump();
    });

    socket.onmessage = function (event) {
      if (gaveUp) return;
      if (typeof event.data === "string") {
        var info = JSON.parse(event.data);
        if (!window.MediaSource.isTypeSupported(info.mime)) {
          gaveUp = true;
          video.dataset.unsupported = info.codecs;
          say("This browser cannot play " + info.codecs + " through Media Source Extensions" +
            " (H.265, for one, is missing in Chromium on Linux). Play the stream over RTSP.");
          socket.close();
          return;
        }
        video.dataset.codecs = info.codecs;
        video.dataset.timeline = info.timeline || "live";
        file = info.timeline === "file";
        queue.push({ mime: info.mime });
      } else {
        if (queue.length >= MAX_QUEUED) {
          // Far behind (a hidden tab): start again at a keyframe rather than decode a broken GOP.
          socket.close();
          return;
        }
        queue.push(new Uint8Array(event.data));
        gotMedia = true;
      }
      pump();
    };

    socket.onclose = function (event) {
      clearInterval(ticker);
      video.dataset.closed = event.code + " " + event.reason;
      if (gaveUp) return;
      if (event.code === 1008) {
        // Kicked by an operator (RFC 6455, 7.4.1 policy violation): coming back would undo it.
        say("Stopped by the server's operator; reload the page to watch again.");
        return;
      }
      if (file && event.code === 1000) {
        // The file's end: what is queued still plays, then the video ends.
        fileEnded = true;
        say("The file ended.");
        pump();
        return;
      }
      if (gotMedia) backoffMs = MIN_BACKOFF_MS;
      var why = event.reason ? " (" + event.reason + ")" : "";
      say("Disconnected" + why + "; retrying in " + (backoffMs / 1000).toFixed(1) + " s.");
      setTimeout(connect, backoffMs);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    };

    function pump() {
      if (media.readyState !== "open" || (buffer && buffer.updating)) return;
      if (fileEnded && queue.length === 0) {
        media.endOfStream();
        return;
      }
      while (queue.length > 0) {
        var item = queue[0];
        if (item.mime) {
          queue.shift();
          if (!buffer) {
            buffer = media.addSourceBuffer(item.mime);
            buffer.mode = "segments";
            buffer.addEventListener("updateend", function () {
              chase();
              pump();
            });
          } else if (item.mime !== mime && buffer.changeType) {
            buffer.changeType(item.mime);
          }
          mime = item.mime;
          continue;
        }
        if (!buffer) return;
        if (trim()) return;
        queue.shift();
        try {
          buffer.appendBuffer(item);
        } catch (e) {
          // QuotaExceededError: drop what is played and carry on with the next message.
          say("Buffer full; trimming.");
          buffer.remove(0, Math.max(0, video.currentTime - 1));
        }
        return;
      }
    }

    /** Removes what was played long ago; true when a removal is running. */
    function trim() {
      var ranges = buffer.buffered;
      if (ranges.length === 0) return false;
      var start = ranges.start(0);
      if (video.currentTime - start < TRIM_AFTER_S) return false;
      buffer.remove(start, video.currentTime - KEEP_BEHIND_S);
      return true;
    }

    /** Seeks to the live edge when behind (live streams), or over a gap when stalled before one. */
    function chase() {
      // play() on an ended video would start it again from its beginning.
      if (!buffer || gaveUp || video.ended) return;
      var ranges = video.buffered;
      if (ranges.length === 0) return;
      var end = ranges.end(ranges.length - 1);
      var now = video.currentTime;
      var inside = false;
      for (var i = 0; i < ranges.length; i++) {
        if (now >= ranges.start(i) && now <= ranges.end(i)) inside = true;
      }
      if ((!file && end - now > MAX_LAG_S) || !inside) {
        video.currentTime = Math.max(ranges.start(ranges.length - 1), end - EDGE_MARGIN_S);
      }
      if (video.paused) video.play().catch(function () {});
      if (!video.paused && !fileEnded) say("Playing " + (video.dataset.codecs || "") + ".");
    }
  }

  if (window.MediaSource && window.WebSocket) connect();
  else nativeHls();
})();
`;
