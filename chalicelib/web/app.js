/* The customer website: log in with the customer code, see linked codes and
   invoices, an invoice in full and its PDF, pay with VNPAY-QR (or VNPay's
   payment page) and see the order turn paid without reloading.
   Plain JavaScript, no build step, no library. Every URL is relative, so the
   page works at / locally and under the API Gateway stage path (/api/).
   Tokens: the access token lives only in memory; the refresh token in
   sessionStorage (this tab only, gone when the tab closes) so a reload keeps
   the session. The page's Content-Security-Policy allows no inline or
   foreign script, and nothing here writes HTML from data (textContent only). */
(function () {
  "use strict";

  var STRINGS = {
    vi: {
      title: "Chăm sóc khách hàng – Cấp nước Cà Mau", skip: "Chuyển đến nội dung chính",
      brand: "Cấp nước Cà Mau", switchTo: "English", switchLang: "en", logout: "Đăng xuất",
      loginTitle: "Đăng nhập", loginIntro: "Xem và thanh toán hoá đơn tiền nước bằng mã khách hàng.",
      codeLabel: "Mã khách hàng", codeHint: "6–12 chữ số, in trên hoá đơn (ví dụ 01031059)",
      passwordLabel: "Mật khẩu", loginButton: "Đăng nhập", loggingIn: "Đang đăng nhập…",
      needCode: "Vui lòng nhập mã khách hàng (6–12 chữ số).", needPassword: "Vui lòng nhập mật khẩu.",
      accountTitle: "Hoá đơn tiền nước", codesTitle: "Mã khách hàng đã liên kết",
      pickHint: "Đánh dấu các hoá đơn chưa thanh toán để trả một lần.",
      invoicesOf: "Hoá đơn của mã {code}", noInvoices: "Chưa có hoá đơn nào.", loading: "Đang tải…",
      more: "Xem thêm hoá đơn", period: "Kỳ {p}", usage: "{m3} m³ · chỉ số {old} → {new}", due: "Hạn {d}",
      paid: "Đã thanh toán", unpaid: "Chưa thanh toán", cancelled: "Đã huỷ", details: "Xem chi tiết",
      details_aria: "Xem chi tiết hoá đơn kỳ {p}", pick: "Chọn hoá đơn kỳ {p} ({amount}) để thanh toán",
      selected: "Đã chọn {n} hoá đơn: {amount}", paySelected: "Thanh toán {amount}",
      back: "← Danh sách hoá đơn", invoiceTitle: "Hoá đơn kỳ {p}", f_code: "Mã khách hàng", f_name: "Khách hàng",
      f_number: "Số hoá đơn", f_index: "Chỉ số cũ → mới", f_usage: "Tiêu thụ", f_issued: "Ngày lập",
      f_due: "Hạn thanh toán", f_status: "Trạng thái", f_paid_at: "Thanh toán lúc", item: "Khoản",
      amountCol: "Thành tiền", total: "Tổng cộng", inWords: "Bằng chữ: {w}", l_water: "Tiền nước ({q} m³)",
      l_vat: "Thuế GTGT {r}%", l_env_fee: "Phí bảo vệ môi trường đối với nước thải {r}%",
      payThis: "Thanh toán hoá đơn này", pdf: "Tải hoá đơn PDF", pdfDone: "Đã tải hoá đơn PDF.",
      stOpen: "Sổ theo dõi công nợ của mã {code}", stTitle: "Sổ theo dõi công nợ – mã {code}",
      stOwes: "Còn phải trả {a}", stInCredit: "Đang có tiền thừa {a}", stSettled: "Không còn nợ",
      stCredit: "Tiền thừa trên tài khoản", stOpenSum: "Còn nợ trên hoá đơn", stOpenTitle: "Hoá đơn còn nợ",
      stNoOpen: "Không còn hoá đơn nợ.", stEntries: "Các khoản phát sinh", stNone: "Chưa có phát sinh nào.",
      stDate: "Ngày", stDesc: "Nội dung", stAmount: "Phát sinh", stBalance: "Số dư", stPeriod: "Kỳ",
      stPaid: "Đã trả", stLeft: "Còn nợ",
      stNote: "Số dư dương là số tiền còn phải trả; số dư âm là tiền thừa, được trừ vào hoá đơn kỳ sau.",
      csv: "Tải file CSV (Excel)",
      payTitle: "Thanh toán qua VNPay", payItems: "Hoá đơn: {list}",
      qrAlt: "Mã VNPAY-QR để thanh toán {amount}",
      qrHelp: "Mở ứng dụng ngân hàng hoặc ví có VNPAY-QR, chọn “Quét mã” và quét mã này.",
      payLink: "Mở cổng thanh toán VNPay", expires: "Mã có hiệu lực đến {t}",
      paidDetail: "Lúc {t} · mã giao dịch VNPay {n}",
      s_pending: "Đang chờ thanh toán…", s_paid: "Đã thanh toán. Cảm ơn quý khách!",
      s_failed: "Thanh toán không thành công. Nếu tài khoản đã bị trừ tiền, số tiền được ghi vào tài khoản khách hàng hoặc hoàn lại.",
      s_expired: "Mã thanh toán đã hết hạn.", s_refunded: "Đã hoàn tiền.", payAgain: "Tạo mã thanh toán mới",
      hotline: "Tổng đài hỗ trợ", network: "Không kết nối được máy chủ. Vui lòng thử lại.",
      sessionEnded: "Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.",
      httpError: "Đã có lỗi xảy ra (HTTP {s}). Vui lòng thử lại."
    },
    en: {
      title: "Customer care – Ca Mau Water Supply", skip: "Skip to the main content",
      brand: "Ca Mau Water", switchTo: "Tiếng Việt", switchLang: "vi", logout: "Log out",
      loginTitle: "Log in", loginIntro: "See and pay your water bills with your customer code.",
      codeLabel: "Customer code", codeHint: "6–12 digits, printed on your bill (e.g. 01031059)",
      passwordLabel: "Password", loginButton: "Log in", loggingIn: "Logging in…",
      needCode: "Enter your customer code (6–12 digits).", needPassword: "Enter your password.",
      accountTitle: "Water bills", codesTitle: "Linked customer codes",
      pickHint: "Tick unpaid bills to pay them together.",
      invoicesOf: "Bills of code {code}", noInvoices: "No bills yet.", loading: "Loading…",
      more: "Show more bills", period: "Period {p}", usage: "{m3} m³ · meter {old} → {new}", due: "Due {d}",
      paid: "Paid", unpaid: "Unpaid", cancelled: "Cancelled", details: "Details",
      details_aria: "Details of the bill for {p}", pick: "Select the bill for {p} ({amount}) to pay",
      selected: "{n} selected: {amount}", paySelected: "Pay {amount}",
      back: "← All bills", invoiceTitle: "Bill for {p}", f_code: "Customer code", f_name: "Customer",
      f_number: "Invoice number", f_index: "Meter, old → new", f_usage: "Consumption", f_issued: "Issued on",
      f_due: "Due date", f_status: "Status", f_paid_at: "Paid at", item: "Item", amountCol: "Amount",
      total: "Total", inWords: "In words: {w}", l_water: "Water ({q} m³)", l_vat: "VAT {r}%",
      l_env_fee: "Waste-water environmental fee {r}%",
      payThis: "Pay this bill", pdf: "Download the PDF", pdfDone: "The PDF is downloaded.",
      stOpen: "Account statement of code {code}", stTitle: "Account statement – code {code}",
      stOwes: "You owe {a}", stInCredit: "In credit: {a}", stSettled: "Nothing owed",
      stCredit: "Credit on the account", stOpenSum: "Open on bills", stOpenTitle: "Bills still open",
      stNoOpen: "No open bills.", stEntries: "Entries", stNone: "No entries yet.",
      stDate: "Date", stDesc: "Description", stAmount: "Amount", stBalance: "Balance", stPeriod: "Period",
      stPaid: "Paid", stLeft: "Open",
      stNote: "A positive balance is what you owe; a negative one is credit, taken off your next bill.",
      csv: "Download CSV (Excel)",
      payTitle: "Pay with VNPay", payItems: "Bills: {list}",
      qrAlt: "VNPAY-QR code to pay {amount}",
      qrHelp: "Open your bank or wallet app that supports VNPAY-QR, choose “Scan QR” and scan this code.",
      payLink: "Open the VNPay payment page", expires: "The code is valid until {t}",
      paidDetail: "At {t} · VNPay transaction {n}",
      s_pending: "Waiting for your payment…", s_paid: "Paid. Thank you!",
      s_failed: "The payment did not go through. If your account was debited, the money is kept on your customer account or returned.",
      s_expired: "This payment code has expired.", s_refunded: "Refunded.", payAgain: "Make a new payment code",
      hotline: "Hotline", network: "Cannot reach the server. Please try again.",
      sessionEnded: "Your session has ended. Please log in again.",
      httpError: "Something went wrong (HTTP {s}). Please try again."
    }
  };
  var POLL_MS = 3000;
  var LANG_KEY = "cskh.lang";
  var REFRESH_KEY = "cskh.refresh";

  var state = {
    lang: "vi", me: null, code: null, invoices: [], cursor: null, selected: {}, invoice: null, order: null,
    view: null, loads: 0, statement: null
  };
  var session = { access: null, accessUntil: 0, refresh: null, refreshing: null };
  var poll = { orderId: null, timer: null };
  var qrUrl = null;

  function $(id) { return document.getElementById(id); }

  function t(key, vars) {
    var s = STRINGS[state.lang][key];
    if (s === undefined) { s = STRINGS.vi[key] || key; }
    return s.replace(/\{(\w+)\}/g, function (_, k) { return vars && vars[k] !== undefined ? String(vars[k]) : ""; });
  }

  // Elements from data: attributes and text only, never markup.
  function h(tag, attrs) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) { return; }
      if (k === "text") { el.textContent = v; } else if (k === "on") {
        Object.keys(v).forEach(function (ev) { el.addEventListener(ev, v[ev]); });
      } else { el.setAttribute(k, v === true ? "" : v); }
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c !== null && c !== undefined) { el.appendChild(typeof c === "string" ? document.createTextNode(c) : c); }
    }
    return el;
  }

  function clear(el) { while (el.firstChild) { el.removeChild(el.firstChild); } return el; }

  // -- formats ---------------------------------------------------------------

  function vnd(n) {
    var sep = state.lang === "vi" ? "." : ",";
    return String(Math.round(Number(n) || 0)).replace(/\B(?=(\d{3})+(?!\d))/g, sep) + " ₫";
  }
  function num(n) { return String(n).replace(".", state.lang === "vi" ? "," : "."); }
  function period(p) { var m = /^(\d{4})-(\d{2})$/.exec(p || ""); return m ? m[2] + "/" + m[1] : (p || ""); }
  function day(d) { var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(d || ""); return m ? m[3] + "/" + m[2] + "/" + m[1] : (d || ""); }
  function moment(iso) {   // the API gives Vietnam time (+07:00): show it as written
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso || "");
    return m ? m[4] + ":" + m[5] + " " + m[3] + "/" + m[2] + "/" + m[1] : (iso || "");
  }

  // -- storage (may be unavailable: private modes) ---------------------------

  function load(store, key) { try { return window[store].getItem(key); } catch (e) { return null; } }
  function save(store, key, value) {
    try { if (value === null) { window[store].removeItem(key); } else { window[store].setItem(key, value); } } catch (e) { /* memory only */ }
  }

  // -- the API ---------------------------------------------------------------

  function ApiError(message, status, code) { this.message = message; this.status = status; this.code = code; }

  function send(method, path, opts) {
    var headers = { "Accept-Language": state.lang, "Accept": opts.accept || "application/json" };
    if (opts.auth !== false && session.access) { headers.Authorization = "Bearer " + session.access; }
    var init = { method: method, headers: headers, cache: "no-store", credentials: "omit" };
    if (opts.body !== undefined) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(opts.body); }
    return fetch(path, init).catch(function () { throw new ApiError(t("network"), 0, "NETWORK"); });
  }

  function bodyOf(resp) { return resp.clone().json().catch(function () { return null; }); }

  function failure(resp) {
    return bodyOf(resp).then(function (b) {
      var msg = b && typeof b.message === "string" ? b.message : t("httpError", { s: resp.status });
      return new ApiError(msg, resp.status, b && b.code);
    });
  }

  function setTokens(tk) {
    session.access = tk.access_token;
    session.accessUntil = Date.now() + (Number(tk.expires_in) || 60) * 1000;
    if (tk.refresh_token) { session.refresh = tk.refresh_token; save("sessionStorage", REFRESH_KEY, tk.refresh_token); }
  }

  // One refresh at a time: refresh tokens rotate, and a reused one ends the session.
  function refresh() {
    if (!session.refreshing) {
      session.refreshing = send("POST", "v1/auth/refresh", { body: { refresh_token: session.refresh }, auth: false })
        .then(function (resp) {
          if (!resp.ok) { return failure(resp).then(function (e) { throw e; }); }
          return resp.json().then(setTokens);
        })
        .then(function () { session.refreshing = null; }, function (e) {
          session.refreshing = null;
          if (e.status !== 0) { endSession(t("sessionEnded")); }   // a network error keeps the session
          throw e;
        });
    }
    return session.refreshing;
  }

  // A missing/expired token is a 401; chalice local's authorizer answers a bare 403 (no `code`).
  function authFailure(resp) {
    if (resp.status === 401) { return Promise.resolve(true); }
    if (resp.status !== 403) { return Promise.resolve(false); }
    return bodyOf(resp).then(function (b) { return !(b && b.code); });
  }

  function api(method, path, opts) {
    opts = opts || {};
    var ready = session.refresh && (!session.access || Date.now() > session.accessUntil - 30000)
      ? refresh() : Promise.resolve();
    return ready.then(function () { return send(method, path, opts); }).then(function (resp) {
      return authFailure(resp).then(function (expired) {
        if (expired && session.refresh) {
          return refresh().then(function () { return send(method, path, opts); });
        }
        return resp;
      });
    }).then(function (resp) {
      if (!resp.ok) { return failure(resp).then(function (e) { throw e; }); }
      if (opts.accept && opts.accept !== "application/json") { return resp.blob(); }
      return resp.status === 204 ? null : resp.json();
    });
  }

  // -- views -----------------------------------------------------------------

  var VIEWS = ["view-login", "view-account", "view-invoice", "view-pay", "view-statement"];

  function show(id, focus) {
    VIEWS.forEach(function (v) { $(v).hidden = v !== id; });
    $("logout").hidden = id === "view-login";
    var changed = state.view !== null && state.view !== id;
    state.view = id;
    if (id !== "view-pay") { stopPolling(); }
    if (focus !== false && changed) {
      var h1 = $(id).querySelector("h1");
      if (h1) { h1.focus(); }
    }
  }

  function showError(el, err) {
    el.textContent = err && err.message ? err.message : String(err);
    el.hidden = false;
  }

  function hideError(el) { el.hidden = true; el.textContent = ""; }

  function endSession(message) {
    session.access = null; session.accessUntil = 0; session.refresh = null;
    save("sessionStorage", REFRESH_KEY, null);
    stopPolling();
    state.me = null; state.invoices = []; state.invoice = null; state.order = null; state.selected = {};
    state.statement = null;
    if (location.hash) { history.replaceState(null, "", location.pathname + location.search); }
    show("view-login");
    if (message) { showError($("login-error"), { message: message }); }
  }

  // -- login -----------------------------------------------------------------

  function onLogin(ev) {
    ev.preventDefault();
    var code = $("code").value.trim(), password = $("password").value, err = $("login-error");
    hideError(err);
    $("code").removeAttribute("aria-invalid"); $("password").removeAttribute("aria-invalid");
    if (!/^\d{6,12}$/.test(code)) {
      $("code").setAttribute("aria-invalid", "true"); showError(err, { message: t("needCode") }); $("code").focus(); return;
    }
    if (!password) {
      $("password").setAttribute("aria-invalid", "true"); showError(err, { message: t("needPassword") }); $("password").focus(); return;
    }
    var button = ev.target.querySelector("button[type=submit]");
    button.disabled = true; button.textContent = t("loggingIn");
    send("POST", "v1/auth/login", { body: { customer_code: code, password: password }, auth: false })
      .then(function (resp) {
        if (!resp.ok) { return failure(resp).then(function (e) { throw e; }); }
        return resp.json();
      })
      .then(function (tk) {
        setTokens(tk);
        $("password").value = "";
        state.code = null;
        return route();   // the account, or the invoice/order the address names
      })
      .catch(function (e) {
        showError(err, e);
        if (e.code === "INVALID_CREDENTIALS") { $("password").setAttribute("aria-invalid", "true"); }
        $("password").focus();
      })
      .then(function () { button.disabled = false; button.textContent = t("loginButton"); });
  }

  function onLogout() {
    var token = session.refresh;
    if (token) { send("POST", "v1/auth/logout", { body: { refresh_token: token }, auth: false }).catch(function () {}); }
    endSession(null);
    $("code").focus();
  }

  // -- account: codes and invoices -------------------------------------------

  function openAccount(focus) {
    show("view-account", focus);
    var mine = state.me ? Promise.resolve(state.me) : api("GET", "v1/me").then(function (me) { state.me = me; return me; });
    return mine.then(function (me) {
      var codes = (me.customers || []).map(function (c) { return c.customer_code; });
      if (codes.indexOf(state.code) < 0) { state.code = codes[0] || null; }
      renderCodes();
      return loadInvoices(false);
    }).catch(function (e) { showError($("invoices-error"), e); });
  }

  function renderCodes() {
    var list = clear($("codes"));
    ((state.me && state.me.customers) || []).forEach(function (c) {
      list.appendChild(h("li", null, h("button", {
        type: "button", "aria-pressed": c.customer_code === state.code ? "true" : "false",
        "data-code": c.customer_code,
        on: { click: function () { if (state.code !== c.customer_code) { state.code = c.customer_code; renderCodes(); loadInvoices(false); } } }
      }, h("b", { text: c.customer_code + (c.name ? " · " + c.name : "") }), h("span", { class: "muted", text: c.address || "" }))));
    });
    $("open-statement").hidden = !state.code;
    $("open-statement").textContent = state.code ? t("stOpen", { code: state.code }) : "";
  }

  function loadInvoices(more) {
    var code = state.code, err = $("invoices-error");
    hideError(err);
    if (!code) { state.invoices = []; renderInvoices(); return Promise.resolve(); }
    if (!more) { state.cursor = null; state.selected = {}; $("invoices-title").textContent = t("loading"); }
    var query = "?status=all&limit=12" + (more && state.cursor ? "&cursor=" + encodeURIComponent(state.cursor) : "");
    var seq = ++state.loads;   // only the latest load may render
    return api("GET", "v1/customers/" + encodeURIComponent(code) + "/invoices" + query).then(function (page) {
      if (seq !== state.loads || state.code !== code) { return; }
      state.invoices = (more ? state.invoices : []).concat(page.invoices || []);
      state.cursor = page.next_cursor || null;
      renderInvoices();
    }).catch(function (e) {
      if (seq === state.loads) { showError(err, e); $("invoices-title").textContent = t("invoicesOf", { code: code }); }
    });
  }

  function renderInvoices() {
    $("invoices-title").textContent = state.code ? t("invoicesOf", { code: state.code }) : "";
    var list = clear($("invoices"));
    if (state.code && !state.invoices.length) { list.appendChild(h("li", { class: "muted", text: t("noInvoices") })); }
    state.invoices.forEach(function (inv) {
      var p = period(inv.period), unpaid = inv.status === "unpaid";
      var pick = h("input", {
        type: "checkbox", class: "pick", disabled: !unpaid, "aria-label": t("pick", { p: p, amount: vnd(inv.total) }),
        checked: unpaid && state.selected[inv.invoice_id] ? true : null,
        on: { change: function (ev) { if (ev.target.checked) { state.selected[inv.invoice_id] = inv; } else { delete state.selected[inv.invoice_id]; } renderSelection(); } }
      });
      list.appendChild(h("li", { class: "invoice", "data-invoice": inv.invoice_id, "data-status": inv.status },
        pick,
        h("span", null, h("span", { class: "period", text: t("period", { p: p }) }), " ",
          h("span", { class: "badge " + inv.status, text: t(inv.status) })),
        h("span", { class: "total", text: vnd(inv.total) }),
        h("span", { class: "meta", text: t("usage", { m3: inv.consumption_m3, old: inv.old_index, new: inv.new_index }) + " · " + t("due", { d: day(inv.due_date) }) }),
        h("span", null),
        h("button", { type: "button", class: "link open", "aria-label": t("details_aria", { p: p }),
          on: { click: function () { go("#/hoa-don/" + encodeURIComponent(inv.invoice_id)); } } }, t("details"))));
    });
    if (state.cursor) {
      list.appendChild(h("li", null, h("button", { type: "button", class: "secondary", on: { click: function () { loadInvoices(true); } } }, t("more"))));
    }
    renderSelection();
  }

  function renderSelection() {
    var chosen = Object.keys(state.selected).map(function (k) { return state.selected[k]; });
    var total = chosen.reduce(function (s, i) { return s + i.total; }, 0);
    $("pay-selected-box").hidden = chosen.length === 0;
    $("pick-hint").hidden = !state.invoices.some(function (i) { return i.status === "unpaid"; });
    $("selected-total").textContent = t("selected", { n: chosen.length, amount: vnd(total) });
    $("pay-selected").textContent = t("paySelected", { amount: vnd(total) });
  }

  // -- one invoice -----------------------------------------------------------

  function openInvoice(id) {
    show("view-invoice");
    var err = $("invoice-error");
    hideError(err);
    if (!state.invoice || state.invoice.invoice_id !== id) {
      state.invoice = null;
      $("invoice-title").textContent = t("loading");
      clear($("invoice-body"));
      $("pay-one").hidden = true;
    } else { renderInvoice(); }
    return api("GET", "v1/invoices/" + encodeURIComponent(id)).then(function (inv) {
      state.invoice = inv; renderInvoice();
    }).catch(function (e) { $("invoice-title").textContent = ""; showError(err, e); });
  }

  function lineLabel(l) {
    if (l.kind === "water" && l.quantity !== undefined) { return t("l_water", { q: num(l.quantity) }); }
    if ((l.kind === "vat" || l.kind === "env_fee") && l.rate_percent !== undefined) { return t("l_" + l.kind, { r: num(l.rate_percent) }); }
    var parts = String(l.description || "").split(" / ");   // the API writes "Vietnamese / English"
    return state.lang === "en" && parts[1] ? parts[1] : parts[0];
  }

  function renderInvoice() {
    var inv = state.invoice;
    if (!inv) { return; }
    $("invoice-title").textContent = t("invoiceTitle", { p: period(inv.period) });
    var facts = [
      ["f_code", inv.customer_code], ["f_name", inv.customer_name],
      ["f_number", inv.invoice_number ? (inv.invoice_template || "") + (inv.invoice_symbol || "") + " · " + inv.invoice_number : null],
      ["f_index", inv.old_index + " → " + inv.new_index], ["f_usage", inv.consumption_m3 + " m³"],
      ["f_issued", day(inv.issued_on)], ["f_due", day(inv.due_date)],
      ["f_status", t(inv.status)], ["f_paid_at", inv.paid_at ? moment(inv.paid_at) : null]
    ];
    var dl = h("dl", { class: "facts" });
    facts.forEach(function (f) {
      if (f[1] === null || f[1] === undefined || f[1] === "") { return; }
      dl.appendChild(h("dt", { text: t(f[0]) }));
      dl.appendChild(h("dd", { text: String(f[1]), "data-fact": f[0] }));
    });
    var body = h("tbody");
    (inv.lines || []).forEach(function (l) {
      body.appendChild(h("tr", null, h("td", { text: lineLabel(l) }), h("td", { class: "num", text: vnd(l.amount) })));
    });
    var table = h("table", { class: "lines" },
      h("thead", null, h("tr", null, h("th", { scope: "col", text: t("item") }), h("th", { scope: "col", class: "num", text: t("amountCol") }))),
      body,
      h("tfoot", null, h("tr", null, h("td", { text: t("total") }), h("td", { class: "num", id: "invoice-total", text: vnd(inv.total) }))));
    var words = inv.amount_in_words && state.lang === "vi" ? h("p", { class: "words", text: t("inWords", { w: inv.amount_in_words }) }) : null;
    var target = clear($("invoice-body"));
    target.appendChild(dl); target.appendChild(table);
    if (words) { target.appendChild(words); }
    $("pay-one").hidden = inv.status !== "unpaid";
  }

  function downloadPdf() {
    var inv = state.invoice, button = $("pdf"), err = $("invoice-error");
    if (!inv) { return; }
    hideError(err);
    button.disabled = true;
    api("GET", "v1/invoices/" + encodeURIComponent(inv.invoice_id) + "/pdf", { accept: "application/pdf" })
      .then(function (blob) { saveBlob(blob, "hoa-don-" + inv.customer_code + "-" + inv.period + ".pdf"); })
      .catch(function (e) { showError(err, e); })
      .then(function () { button.disabled = false; });
  }

  function saveBlob(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = h("a", { href: url, download: name, hidden: true });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  // -- the account statement (sổ theo dõi công nợ) ----------------------------
  // The API writes each row's description in the language asked for, and the
  // balance after it: positive the customer owes, negative the account is in credit.

  function openStatement(code) {
    show("view-statement");
    hideError($("statement-error"));
    $("statement-title").textContent = t("stTitle", { code: code });
    $("statement-csv").hidden = true;
    state.statement = null;
    clear($("statement-body")).appendChild(h("p", { class: "muted", role: "status", text: t("loading") }));
    return api("GET", "v1/me/account?customer_code=" + encodeURIComponent(code)).then(function (s) {
      if (state.view !== "view-statement" || s.customer_code !== code) { return; }
      state.statement = s; renderStatement();
    }).catch(function (e) { clear($("statement-body")); showError($("statement-error"), e); });
  }

  function signed(n) { return (n > 0 ? "+" : "") + vnd(n); }

  // A table under its own heading; cells are [text, class].
  function grid(id, title, heads, rows, empty) {
    var out = [h("h2", { class: "sub", id: id, text: title })];
    if (!rows.length) { out.push(h("p", { class: "muted", text: empty })); return out; }
    var head = h("tr"), body = h("tbody");
    heads.forEach(function (c, i) { head.appendChild(h("th", { scope: "col", class: /num/.test(rows[0][i][1] || "") ? "num" : null, text: c })); });
    rows.forEach(function (r) {
      var tr = h("tr");
      r.forEach(function (c) { tr.appendChild(h("td", { class: c[1] || null, text: c[0] })); });
      body.appendChild(tr);
    });
    out.push(h("div", { class: "scroll", tabindex: "0", role: "region", "aria-labelledby": id },
      h("table", { class: "lines", "aria-labelledby": id }, h("thead", null, head), body)));
    return out;
  }

  function renderStatement() {
    var s = state.statement, target = clear($("statement-body"));
    if (!s) { return; }
    var headline = s.balance > 0 ? t("stOwes", { a: vnd(s.balance) })
      : s.balance < 0 ? t("stInCredit", { a: vnd(-s.balance) }) : t("stSettled");
    target.appendChild(h("p", { class: "amount" + (s.balance < 0 ? " credit" : ""), id: "statement-balance", text: headline }));
    var dl = h("dl", { class: "facts" });
    [["stCredit", s.credit], ["stOpenSum", s.open_amount]].forEach(function (f) {
      dl.appendChild(h("dt", { text: t(f[0]) }));
      dl.appendChild(h("dd", { text: vnd(f[1]) }));
    });
    target.appendChild(dl);
    var parts = grid("st-open", t("stOpenTitle"), [t("stPeriod"), t("total"), t("stPaid"), t("stLeft")],
      (s.open_invoices || []).map(function (i) {
        return [[period(i.period)], [vnd(i.total), "num"], [vnd(i.paid_amount), "num"], [vnd(i.open_amount), "num"]];
      }), t("stNoOpen"));
    parts = parts.concat(grid("st-entries", t("stEntries"), [t("stDate"), t("stDesc"), t("stAmount"), t("stBalance")],
      (s.entries || []).map(function (e) {
        return [[e.date ? day(e.date) : "–"], [e.description + (e.reference ? " · " + e.reference : "")],
          e.effect ? [signed(e.effect), "num"] : ["(" + vnd(e.amount) + ")", "num muted"],
          [vnd(e.balance), "num" + (e.balance < 0 ? " credit" : "")]];
      }), t("stNone")));
    parts.push(h("p", { class: "muted", text: t("stNote") }));
    parts.forEach(function (el) { target.appendChild(el); });
    $("statement-csv").hidden = false;
  }

  function downloadStatement() {
    var s = state.statement, button = $("statement-csv");
    if (!s) { return; }
    hideError($("statement-error"));
    button.disabled = true;
    api("GET", "v1/me/account?format=csv&customer_code=" + encodeURIComponent(s.customer_code), { accept: "text/csv" })
      .then(function (blob) { saveBlob(blob, "so-cong-no-" + s.customer_code + ".csv"); })
      .catch(function (e) { showError($("statement-error"), e); })
      .then(function () { button.disabled = false; });
  }

  // -- paying ----------------------------------------------------------------

  function startPayment(invoiceIds, button, errEl) {
    if (!invoiceIds.length) { return; }
    if (button) { button.disabled = true; }
    hideError(errEl);
    api("POST", "v1/payments", { body: { invoice_ids: invoiceIds } })
      .then(function (order) { state.order = order; go("#/thanh-toan/" + encodeURIComponent(order.order_id)); })
      .catch(function (e) { showError(errEl, e); })
      .then(function () { if (button) { button.disabled = false; } });
  }

  function openOrder(orderId) {
    show("view-pay");
    hideError($("pay-error"));
    var known = state.order && state.order.order_id === orderId;
    if (known) { renderOrder(true); } else { $("pay-body").hidden = true; }
    var fetched = known ? Promise.resolve(state.order) : api("GET", "v1/payments/" + encodeURIComponent(orderId));
    return fetched.then(function (order) {
      state.order = order;
      renderOrder(true);
      if (order.status === "pending") { startPolling(order.order_id); }
    }).catch(function (e) { showError($("pay-error"), e); });
  }

  function renderOrder(withQr) {
    var o = state.order;
    if (!o) { return; }
    $("pay-body").hidden = false;
    $("pay-amount").textContent = vnd(o.amount);
    $("pay-items").textContent = t("payItems", { list: (o.items || []).map(function (i) {
      return period(i.period) + " (" + i.customer_code + ")";
    }).join(", ") });
    var pending = o.status === "pending";
    $("qr").alt = t("qrAlt", { amount: vnd(o.amount) });
    $("qr").closest("figure").hidden = !pending;
    $("pay-link").hidden = !pending;
    $("pay-link").href = o.payment_url || "#";
    var paid = o.status === "paid" && o.paid_at;
    $("pay-expiry").hidden = !pending && !paid;
    $("pay-expiry").textContent = paid ? t("paidDetail", { t: moment(o.paid_at), n: o.transaction_no || "–" })
      : t("expires", { t: moment(o.expires_at) });
    $("pay-again").hidden = !(o.status === "expired" || o.status === "failed");
    var status = $("pay-status");
    status.textContent = t("s_" + o.status);
    status.className = "status " + o.status;
    status.setAttribute("data-status", o.status);
    if (withQr && pending) { loadQr(o); }
  }

  function loadQr(o) {
    var path = String(o.qr_png_url || ("v1/payments/" + o.order_id + "/qr.png")).replace(/^\/+/, "");
    api("GET", path, { accept: "image/png" }).then(function (blob) {
      if (!state.order || state.order.order_id !== o.order_id) { return; }
      if (qrUrl) { URL.revokeObjectURL(qrUrl); }
      qrUrl = URL.createObjectURL(blob);
      $("qr").src = qrUrl;
    }).catch(function (e) { showError($("pay-error"), e); });
  }

  function startPolling(orderId) {
    stopPolling();
    poll.orderId = orderId;
    schedule();
  }

  function stopPolling() { clearTimeout(poll.timer); poll.timer = null; poll.orderId = null; }

  function schedule() {
    clearTimeout(poll.timer);
    poll.timer = null;
    if (poll.orderId && !document.hidden) { poll.timer = setTimeout(checkOrder, POLL_MS); }
  }

  function checkOrder() {
    var id = poll.orderId;
    if (!id) { return; }
    api("GET", "v1/payments/" + encodeURIComponent(id)).then(function (order) {
      if (poll.orderId !== id) { return; }
      state.order = order;
      renderOrder(false);
      if (order.status === "pending") { schedule(); return; }
      stopPolling();
      state.invoice = null;
      if (order.status === "paid") { loadInvoices(false); }   // the list shows paid when the customer goes back
    }).catch(function () { if (poll.orderId === id && session.refresh) { schedule(); } });
  }

  document.addEventListener("visibilitychange", function () {
    if (!poll.orderId) { return; }
    if (document.hidden) { clearTimeout(poll.timer); poll.timer = null; } else { checkOrder(); }
  });

  // -- language --------------------------------------------------------------

  function setLang(lang) {
    state.lang = STRINGS[lang] ? lang : "vi";
    save("localStorage", LANG_KEY, state.lang);
    document.documentElement.lang = state.lang;
    document.title = t("title");
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (el) {
      el.textContent = t(el.getAttribute("data-i18n"));
    });
    var button = $("lang");
    button.textContent = t("switchTo");
    button.setAttribute("lang", t("switchLang"));
    if (state.me) { renderCodes(); renderInvoices(); }
    renderInvoice();
    renderOrder(false);
    Array.prototype.forEach.call(document.querySelectorAll(".alert"), function (el) { hideError(el); });
    if (state.view === "view-statement") { route(); }   // the descriptions come in the language asked for
  }

  // -- routes: #/ (invoices), #/hoa-don/<id>, #/thanh-toan/<order id>, #/so-cong-no/<code>

  function go(hash) { if (location.hash === hash) { route(); } else { location.hash = hash; } }

  function route() {
    if (!session.refresh) { show("view-login"); return; }
    var m = /^#\/(hoa-don|thanh-toan|so-cong-no)\/([^/]+)$/.exec(location.hash);
    if (m && m[1] === "hoa-don") { openInvoice(decodeURIComponent(m[2])); return; }
    if (m && m[1] === "so-cong-no") { openStatement(decodeURIComponent(m[2])); return; }
    if (m) { openOrder(decodeURIComponent(m[2])); return; }
    openAccount();
  }

  function start() {
    setLang(load("localStorage", LANG_KEY) || "vi");
    $("login-form").addEventListener("submit", onLogin);
    $("logout").addEventListener("click", onLogout);
    $("lang").addEventListener("click", function () { setLang(state.lang === "vi" ? "en" : "vi"); });
    Array.prototype.forEach.call(document.querySelectorAll("[data-back]"), function (b) {
      b.addEventListener("click", function () { go("#/"); });
    });
    $("pay-one").addEventListener("click", function () {
      if (state.invoice) { startPayment([state.invoice.invoice_id], $("pay-one"), $("invoice-error")); }
    });
    $("pay-selected").addEventListener("click", function () {
      startPayment(Object.keys(state.selected), $("pay-selected"), $("invoices-error"));
    });
    $("pay-again").addEventListener("click", function () {
      var ids = state.order ? state.order.invoice_ids || [] : [];
      state.order = null;
      startPayment(ids, $("pay-again"), $("pay-error"));
    });
    $("pdf").addEventListener("click", downloadPdf);
    $("statement-csv").addEventListener("click", downloadStatement);
    $("open-statement").addEventListener("click", function () { go("#/so-cong-no/" + encodeURIComponent(state.code)); });
    window.addEventListener("hashchange", route);
    // A printed bill's QR and the reminders link to PAYMENT_LINK_BASE + invoice id: with
    // PAYMENT_LINK_BASE = https://<host>/api/?invoice= they open that invoice here, after login.
    var wanted = /[?&]invoice=([A-Za-z0-9._-]{1,64})(?:&|$)/.exec(location.search);
    if (wanted) { history.replaceState(null, "", location.pathname + (location.hash || "#/hoa-don/" + wanted[1])); }
    session.refresh = load("sessionStorage", REFRESH_KEY);
    if (session.refresh) {
      refresh().then(route, function (e) { if (e.status === 0) { showError($("login-error"), e); } show("view-login"); });
    } else { show("view-login"); }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
