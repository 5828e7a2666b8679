/*
 * courier.js: the browser client of a Courier WebSocket hub (protocol courier.ws/1, see
 * docs/websocket-protocol.md). One file, no dependencies.
 *
 *   const c = await Courier.connect("ws://127.0.0.1:8025/", { token: "..." });   // or { ticket: "..." }
 *   await c.subscribe("v1.order.shipped", ev => console.log(ev.type, ev.data, ev.correlationid));
 *   const reply = await c.request("v1.order.place", { customerId: c.principal, lines: [] });
 *   await c.send("v1.order.cancel", { orderId: "..." });   // command, confirmed by the hub
 *   await c.publish("v1.page.viewed", { path: "/" });      // event, confirmed by the hub
 *
 * Subscriptions here are personal: this tab gets its own copy of the events its principal may see
 * (its subject, or conversations this tab started). The client reconnects by itself, subscribes
 * again and sends again what the hub had not confirmed (same ids; consumers drop duplicates).
 */
(function (global) {
  "use strict";
  var CONTROL = "dev.courier.control.v1.";

  function uuid() {
    if (global.crypto && global.crypto.randomUUID) return global.crypto.randomUUID();
    var b = new Uint8Array(16);
    (global.crypto || { getRandomValues: function (a) { for (var i = 0; i < a.length; i++) a[i] = Math.floor(Math.random() * 256); return a; } }).getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function CourierClient(url, options) {
    this.url = url;
    this.options = options || {};
    this.source = this.options.source || "/courier/browser";
    this.principal = null;
    this.onerror = function (e) { if (global.console) console.warn("courier:", e.code, e.message); };
    this.onstatus = function () {};
    this._seq = 0;
    this._pending = {};      // seq -> {frame, resolve, reject, timer}
    this._subs = {};         // sub id -> {name, handler}
    this._requests = {};     // request id -> {resolve, reject, timer}
    this._replyTab = uuid();      // this tab's reply address is the hub's replyPrefix + this
    this._replyAddress = null;
    this._closed = false;
    this._failures = 0;      // reconnect attempts in a row (see _nextDelay)
    this._upSince = -1;
    this._ws = null;
    this._open = false;
  }

  CourierClient.prototype._connect = function () {
    var self = this;
    return new Promise(function (resolve, reject) {
      var protocols = ["cloudevents.json"];
      var url = self.url;
      if (self.options.token) protocols.push("courier.token." + self.options.token);
      else if (self.options.ticket) url += (url.indexOf("?") < 0 ? "?" : "&") + "ticket=" + encodeURIComponent(self.options.ticket);
      var ws = new WebSocket(url, protocols);
      self._ws = ws;
      var welcomed = false;
      ws.onmessage = function (m) {
        var f;
        try { f = JSON.parse(m.data); } catch (e) { return; }
        if (f.type === CONTROL + "welcome") {
          welcomed = true;
          self.principal = f.data.principal;
          self._replyAddress = (f.data.replyPrefix || "~" + f.data.principal + ".") + self._replyTab;
          self._open = true;
          self._upSince = Date.now();
          self._afterWelcome().then(function () { self.onstatus("connected"); resolve(self); }, reject);
          return;
        }
        self._frame(f);
      };
      ws.onclose = function (ev) {
        self._open = false;
        Object.keys(self._pending).forEach(function (k) {
          if (self._pending[k].control) { self._settle(k, null, { code: "closed", message: "connection closed" }); }
        });
        if (!welcomed && !self._everConnected) {
          reject(new Error("the hub refused the connection (see the browser console for the HTTP status)"));
          return;
        }
        if (self._closed) return;
        self.onstatus("reconnecting");
        var delay = self._nextDelay();
        setTimeout(function () {
          if (self.options.ticket && !self.options.token) {
            self.onerror({ code: "closed", message: "tickets work once: reconnect with a new ticket" });
            return;
          }
          self._connect().catch(function () {});
        }, delay);
      };
    });
  };

  /**
   * The reconnect delay, as Courier's Java Backoff computes it: 250 ms doubling to 5 s, each delay
   * lowered by a random part of up to half, so that the tabs that lost one hub do not come back in
   * step; the count of failures starts again only after a connection stayed up for 30 s.
   */
  CourierClient.prototype._nextDelay = function () {
    if (this._upSince >= 0) {
      if (Date.now() - this._upSince >= 30000) this._failures = 0;
      this._upSince = -1;
    }
    this._failures++;
    var base = Math.min(5000, 250 * Math.pow(2, Math.min(this._failures, 16) - 1));
    return Math.max(1, Math.round(base - base * 0.5 * Math.random()));
  };

  CourierClient.prototype._afterWelcome = function () {
    var self = this;
    self._everConnected = true;
    var work = [this._control("subscribe", { sub: "reply", address: "reply:" + this._replyAddress, group: this._replyAddress, prefetch: 64 })];
    Object.keys(this._subs).forEach(function (id) {
      work.push(self._control("subscribe", { sub: id, address: "event:" + self._subs[id].name, personal: true }));
    });
    Object.keys(this._pending).forEach(function (k) {
      var p = self._pending[k];
      if (!p.control) self._ws.send(p.frame);
    });
    return Promise.all(work);
  };

  CourierClient.prototype._frame = function (f) {
    var type = f.type || "";
    if (type === CONTROL + "confirm") { this._settle(f.courierwsseq, f.data, null); return; }
    if (type === CONTROL + "error") {
      if (f.courierwsseq && this._pending[f.courierwsseq]) this._settle(f.courierwsseq, null, f.data);
      else this.onerror(f.data);
      return;
    }
    if (type.indexOf("dev.courier.control.") === 0) return;
    var ev = {};
    Object.keys(f).forEach(function (k) { if (k.indexOf("courierws") !== 0) ev[k] = f[k]; });
    if (f.data_base64 !== undefined) { try { ev.data = atob(f.data_base64); } catch (e) { /* keep as is */ } }
    if (f.courierwssub === "reply") {
      this._ws.send(JSON.stringify(this._controlFrame("ack", { tag: Number(f.courierwstag) })));
      var r = this._requests[ev.causationid];
      if (r) {
        delete this._requests[ev.causationid];
        clearTimeout(r.timer);
        if (ev.courierreplystatus === "error") r.reject(new Error(ev.dlerrormessage || "the request failed"));
        else r.resolve(ev.data);
      }
      return;
    }
    var sub = this._subs[f.courierwssub];
    if (f.courierwstag) this._ws.send(JSON.stringify(this._controlFrame("ack", { tag: Number(f.courierwstag) })));
    if (sub) { try { sub.handler(ev); } catch (e) { if (global.console) console.error(e); } }
  };

  CourierClient.prototype._settle = function (seq, ok, err) {
    var p = this._pending[seq];
    if (!p) return;
    delete this._pending[seq];
    clearTimeout(p.timer);
    if (err) { var e = new Error(err.code + ": " + err.message); e.code = err.code; p.reject(e); }
    else p.resolve(ok);
  };

  CourierClient.prototype._controlFrame = function (type, data, seq) {
    var f = { specversion: "1.0", id: uuid(), source: this.source, type: CONTROL + type, datacontenttype: "application/json", data: data };
    if (seq) f.courierwsseq = seq;
    return f;
  };

  CourierClient.prototype._control = function (type, data) {
    var self = this;
    var seq = "c" + (++this._seq);
    return new Promise(function (resolve, reject) {
      self._pending[seq] = { control: true, resolve: resolve, reject: reject,
        timer: setTimeout(function () { self._settle(seq, null, { code: "timeout", message: type + " not answered" }); }, 15000) };
      if (self._open) self._ws.send(JSON.stringify(self._controlFrame(type, data, seq)));
      else self._settle(seq, null, { code: "closed", message: "not connected" });
    });
  };

  /** Sends a message to an address (event:..., command:...); resolves when the hub confirms. */
  CourierClient.prototype._message = function (to, name, data, opts, extra) {
    var self = this;
    opts = opts || {};
    var id = opts.id || uuid();
    var f = { specversion: "1.0", id: id, source: this.source, type: name, time: new Date().toISOString(),
      datacontenttype: "application/json", correlationid: opts.correlationid || id };
    if (opts.subject) f.subject = opts.subject;
    var headers = opts.headers || {};
    Object.keys(headers).forEach(function (k) { f[k] = String(headers[k]); });
    Object.keys(extra || {}).forEach(function (k) { f[k] = extra[k]; });
    var seq = "p" + (++this._seq);
    f.courierwsto = to;
    f.courierwsseq = seq;
    f.data = data === undefined ? null : data;
    var text = JSON.stringify(f);
    return new Promise(function (resolve, reject) {
      self._pending[seq] = { frame: text, resolve: function () { resolve(id); }, reject: reject,
        timer: setTimeout(function () { self._settle(seq, null, { code: "timeout", message: "no confirm for " + name }); }, opts.timeoutMs || 15000) };
      if (self._open) self._ws.send(text);
    });
  };

  CourierClient.prototype.publish = function (name, data, opts) { return this._message("event:" + name, name, data, opts); };
  CourierClient.prototype.send = function (name, data, opts) { return this._message("command:" + name, name, data, opts); };

  /** Sends a command as a request; resolves with the reply's data. */
  CourierClient.prototype.request = function (name, data, opts) {
    var self = this;
    opts = opts || {};
    var id = opts.id || uuid();
    var timeoutMs = opts.timeoutMs || 15000;
    return new Promise(function (resolve, reject) {
      self._requests[id] = { resolve: resolve, reject: reject,
        timer: setTimeout(function () { delete self._requests[id]; reject(new Error("no reply to " + name + " within " + timeoutMs + " ms")); }, timeoutMs) };
      var o = {}; Object.keys(opts).forEach(function (k) { o[k] = opts[k]; }); o.id = id;
      self._message("command:" + name, name, data, o,
        { courierreplyto: self._replyAddress, courierdeadline: String(Date.now() + timeoutMs) })
        .catch(function (e) { delete self._requests[id]; reject(e); });
    });
  };

  /** Subscribes this tab to an event (personal); resolves once the hub confirms. */
  CourierClient.prototype.subscribe = function (name, handler) {
    var id = "p" + (++this._seq);
    this._subs[id] = { name: name, handler: handler };
    var self = this;
    return this._control("subscribe", { sub: id, address: "event:" + name, personal: true })
      .then(function () { return id; }, function (e) { delete self._subs[id]; throw e; });
  };

  CourierClient.prototype.close = function () {
    this._closed = true;
    if (this._ws) this._ws.close(1000, "bye");
  };

  global.Courier = {
    /** Connects; resolves with the client once the hub has welcomed it. */
    connect: function (url, options) { var c = new CourierClient(url, options); return c._connect(); },
    uuid: uuid
  };
})(typeof window !== "undefined" ? window : this);
