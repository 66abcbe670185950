/**
 * The status page's script, served as `/status.js` from this string (so
 * `deno compile` and URL imports carry it). It polls `/v1/paths` and
 * `/v1/sessions` and updates the page in place: rows are keyed by path and
 * session id, kept when still listed, removed when gone. Every value goes
 * into the page as text (`textContent`, `dataset`), never as HTML.
 * @module
 */

/** How often the page polls the API. */
export const STATUS_POLL_MS = 2000;

/** The script: plain ES2017, no dependencies. */
export const STATUS_JS = `"use strict";
(function () {
  var POLL_MS = ${STATUS_POLL_MS};
  var byId = function (id) { return document.getElementById(id); };
  var pathsBox = byId("paths");
  var sessionsBody = byId("sessions");
  var pollSessions = true;
  var admin = false;

  function bytes(n) {
    var units = ["B", "kB", "MB", "GB", "TB"];
    var i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return (i === 0 ? String(n) : n.toFixed(1)) + " " + units[i];
  }
  function rate(bps) {
    if (bps >= 1e6) return (bps / 1e6).toFixed(2) + " Mbit/s";
    if (bps >= 1e3) return (bps / 1e3).toFixed(1) + " kbit/s";
    return bps + " bit/s";
  }
  function duration(s) {
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return (h ? h + "h " : "") + (h || m ? m + "m " : "") + sec + "s";
  }
  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function keyed(parent, key, value) {
    for (var i = 0; i < parent.children.length; i++) {
      if (parent.children[i].dataset[key] === value) return parent.children[i];
    }
    return undefined;
  }
  function removeMissing(parent, key, keep) {
    for (var i = parent.children.length - 1; i >= 0; i--) {
      var child = parent.children[i];
      if (!keep.has(child.dataset[key])) parent.removeChild(child);
    }
  }

  // Every transport, RTSP and browser; one an older server does not list shows as 0.
  var TRANSPORTS = [
    ["tcp", "TCP"], ["udp", "UDP"], ["multicast", "multicast"], ["websocket", "WebSocket"],
    ["hls", "HLS"]
  ];
  function readersText(readers) {
    return TRANSPORTS.map(function (t) { return t[1] + " " + (readers[t[0]] || 0); }).join(" · ");
  }
  var PATH_FIELDS = [
    ["codecs", "Codecs"], ["resolution", "Resolution"], ["bitrateIn", "In"],
    ["bitrateOut", "Out"], ["readers", "Readers"], ["sent", "Sent"], ["uptime", "Uptime"]
  ];
  function pathCard(p) {
    var card = keyed(pathsBox, "path", p.name);
    if (!card) {
      card = make("article", "card");
      card.dataset.path = p.name;
      var title = make("h3");
      title.appendChild(make("span", "name", p.name));
      title.appendChild(make("span", "kind"));
      card.appendChild(title);
      var list = make("dl");
      PATH_FIELDS.forEach(function (f) {
        list.appendChild(make("dt", "", f[1]));
        var value = make("dd");
        value.dataset.field = f[0];
        list.appendChild(value);
      });
      card.appendChild(list);
      // A link to the player page (the path goes in as an encoded URL, never as HTML).
      var preview = make("div", "preview");
      preview.dataset.previewPath = p.name;
      var watch = make("a", "", "▶ watch in the browser");
      watch.href = "/play" + p.name.split("/").map(encodeURIComponent).join("/");
      preview.appendChild(watch);
      card.appendChild(preview);
      pathsBox.appendChild(card);
    }
    card.querySelector(".kind").textContent = p.kind;
    var sizes = p.tracks.filter(function (t) { return t.width; })
      .map(function (t) { return t.width + "×" + t.height; });
    var values = {
      codecs: p.tracks.map(function (t) { return t.codec; }).join(", ") || "–",
      resolution: sizes.join(", ") || "–",
      bitrateIn: rate(p.bitrateIn),
      bitrateOut: rate(p.bitrateOut),
      readers: readersText(p.readers),
      sent: bytes(p.bytesSent),
      uptime: duration(p.uptimeSeconds)
    };
    card.querySelectorAll("dd").forEach(function (dd) { dd.textContent = values[dd.dataset.field]; });
  }

  var SESSION_CELLS = [
    ["id", "Session"], ["path", "Path"], ["clientAddress", "Client"], ["transport", "Transport"],
    ["mode", "Mode"], ["sent", "Sent"], ["received", "Received"], ["lost", "Lost"],
    ["jitter", "Jitter"], ["dropped", "Dropped"], ["age", "Age"]
  ];
  function kick(id, button) {
    button.disabled = true;
    fetch("/v1/sessions/" + encodeURIComponent(id), { method: "DELETE" }).then(function (r) {
      if (r.ok) {
        var row = keyed(sessionsBody, "sessionId", id);
        if (row) sessionsBody.removeChild(row);
      } else button.disabled = false;
    }, function () { button.disabled = false; });
  }
  function sessionRow(s) {
    var row = keyed(sessionsBody, "sessionId", s.id);
    if (!row) {
      row = make("tr");
      row.dataset.sessionId = s.id;
      SESSION_CELLS.forEach(function (c) {
        var cell = make("td");
        cell.dataset.field = c[0];
        cell.dataset.label = c[1];
        row.appendChild(cell);
      });
      var action = make("td");
      if (admin) {
        var button = make("button", "kick", "kick");
        button.type = "button";
        button.addEventListener("click", function () { kick(s.id, button); });
        action.appendChild(button);
      }
      row.appendChild(action);
      sessionsBody.appendChild(row);
    }
    // A WebSocket reader sends no RTCP: no received bytes, loss or jitter to show.
    var rtcp = s.transport !== "websocket";
    var values = {
      id: s.id, path: s.path, clientAddress: s.clientAddress, transport: s.transport,
      mode: s.mode, sent: bytes(s.bytesSent), received: rtcp ? bytes(s.bytesReceived) : "–",
      lost: rtcp ? s.packetsLost + " (" + (s.lossFraction * 100).toFixed(1) + "%)" : "–",
      jitter: rtcp ? s.jitterMs.toFixed(1) + " ms" : "–", dropped: String(s.framesDropped),
      age: duration(s.ageSeconds)
    };
    row.querySelectorAll("td[data-field]").forEach(function (td) {
      td.textContent = values[td.dataset.field];
    });
  }

  function getJson(url) {
    return fetch(url, { headers: { accept: "application/json" }, cache: "no-store" })
      .then(function (r) {
        return r.json().then(function (body) { return { status: r.status, body: body }; });
      });
  }
  function showPaths(reply) {
    if (reply.status !== 200) throw new Error(reply.body.error || ("HTTP " + reply.status));
    var paths = reply.body.paths;
    paths.forEach(pathCard);
    removeMissing(pathsBox, "path", new Set(paths.map(function (p) { return p.name; })));
    byId("paths-empty").hidden = paths.length > 0;
  }
  function showSessions(reply) {
    var note = byId("sessions-note");
    if (reply.status !== 200) {
      // Not an admin: say why once and stop asking (a 401 would prompt for a login each time).
      pollSessions = false;
      note.textContent = reply.body.error || ("HTTP " + reply.status);
      note.hidden = false;
      byId("sessions-table").hidden = true;
      return;
    }
    admin = true;
    var sessions = reply.body.sessions;
    sessions.forEach(sessionRow);
    removeMissing(sessionsBody, "sessionId", new Set(sessions.map(function (s) { return s.id; })));
    note.textContent = sessions.length ? "" : "No session now.";
    note.hidden = sessions.length > 0;
  }
  function poll() {
    var work = [getJson("/v1/paths").then(showPaths)];
    if (pollSessions) work.push(getJson("/v1/sessions").then(showSessions));
    Promise.all(work).then(function () {
      byId("updated").textContent = "updated " + new Date().toLocaleTimeString();
    }, function (e) {
      byId("updated").textContent = "cannot reach the server: " + e.message;
    }).then(function () { setTimeout(poll, POLL_MS); });
  }
  poll();
})();
`;
