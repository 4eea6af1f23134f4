// Shared by the chat page (index.html) and the IT staff console (staff.html): small DOM and API helpers.
// Loaded before each page's own script, which uses them through window.HelpdeskUI.
(function () {
  'use strict';

  function str(value) { return typeof value === 'string' ? value : (value == null ? '' : String(value)); }

  function byId(id) { return document.getElementById(id); }

  // Builds an element. All text goes in through textContent / text nodes, never as HTML.
  // attrs: 'class' -> className, 'text' -> textContent, anything else -> an attribute (null/false: left out).
  // children: nodes or strings (as text nodes); null and '' are skipped.
  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v == null || v === false) { return; }
        if (k === 'class') { node.className = v; }
        else if (k === 'text') { node.textContent = v; }
        else { node.setAttribute(k, v === true ? '' : v); }
      });
    }
    (children || []).forEach(function (c) {
      if (c == null || c === '') { return; }
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }

  // An absolute http(s) URL, normalised; null for anything else (javascript:, data:, relative…).
  function safeUrl(raw) {
    var s = str(raw).trim();
    if (!/^https?:\/\//i.test(s)) { return null; }
    try {
      var u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') ? u.href : null;
    } catch (e) { return null; }
  }

  // Whether a scrolled element is (nearly) at its end, so new content should keep it there.
  function nearBottom(el) { return el.scrollHeight - el.scrollTop - el.clientHeight < 80; }

  // A fetch() Response -> {ok, status, data}; data is the parsed JSON body, or null if there is none.
  function readResponse(res) {
    return res.text().then(function (body) {
      var data = null;
      try { data = body ? JSON.parse(body) : null; } catch (e) { data = null; }
      return { ok: res.ok, status: res.status, data: data };
    });
  }

  // A sentence for a failed {ok, status, data}: the server's own error message when it sent one.
  function describeFailure(r) {
    var err = r.data && r.data.error;
    if (err && typeof err.message === 'string' && err.message) { return err.message; }
    if (r.ok) { return 'The server sent an unexpected response.'; }
    if (r.status >= 500) { return 'The server had a problem (HTTP ' + r.status + '). Please try again.'; }
    return 'The request was refused (HTTP ' + r.status + ').';
  }

  window.HelpdeskUI = Object.freeze({
    str: str,
    byId: byId,
    h: h,
    safeUrl: safeUrl,
    nearBottom: nearBottom,
    readResponse: readResponse,
    describeFailure: describeFailure
  });
})();
