/* The customer website (README, "Website"): an ES module, no build step, no library. Data reaches
   the page as text only, never as markup. */

// Every text, Vietnamese first (indented as tests/api/test_web.py reads the blocks).
const STRINGS = {
    vi: {
      title: "Chăm sóc khách hàng – Cấp nước Cà Mau", skip: "Chuyển đến nội dung chính",
      brand: "Cấp nước Cà Mau", switchTo: "English", logout: "Đăng xuất",
      loginTitle: "Đăng nhập", loginIntro: "Xem và thanh toán hoá đơn tiền nước bằng mã khách hàng.",
      codeLabel: "Mã khách hàng", codeHint: "6–12 chữ số, in trên hoá đơn (ví dụ 01031059)",
      passwordLabel: "Mật khẩu", loggingIn: "Đang đăng nhập…",
      needCode: "Vui lòng nhập mã khách hàng (6–12 chữ số).", needPassword: "Vui lòng nhập mật khẩu.",
      accountTitle: "Hoá đơn tiền nước", codesTitle: "Mã khách hàng đã liên kết",
      pickHint: "Đánh dấu các hoá đơn chưa thanh toán để trả một lần.",
      invoicesOf: "Hoá đơn của mã {code}", noInvoices: "Chưa có hoá đơn nào.", loading: "Đang tải…",
      more: "Xem thêm hoá đơn", period: "Kỳ {p}", usage: "{m3} m³ · chỉ số {old} → {new}", due: "Hạn {d}",
      paid: "Đã thanh toán", unpaid: "Chưa thanh toán", cancelled: "Đã huỷ", details: "Xem chi tiết",
      details_aria: "Xem chi tiết hoá đơn kỳ {p}", pick: "Chọn hoá đơn kỳ {p} ({amount}) để thanh toán",
      selected: "Đã chọn {n} hoá đơn: {amount}", paySelected: "Thanh toán {amount}",
      back: "← Danh sách hoá đơn", invoiceTitle: "Hoá đơn kỳ {p}", f_name: "Khách hàng",
      f_number: "Số hoá đơn", f_index: "Chỉ số cũ → mới", f_usage: "Tiêu thụ", f_issued: "Ngày lập",
      f_due: "Hạn thanh toán", f_status: "Trạng thái", f_paid_at: "Thanh toán lúc", item: "Khoản",
      amountCol: "Thành tiền", total: "Tổng cộng", inWords: "Bằng chữ: {w}", l_water: "Tiền nước ({q} m³)",
      l_vat: "Thuế GTGT {r}%", l_env_fee: "Phí bảo vệ môi trường đối với nước thải {r}%",
      payThis: "Thanh toán hoá đơn này", pdf: "Tải hoá đơn PDF",
      eiTitle: "Hoá đơn điện tử", eiSeries: "Ký hiệu", eiTemplate: "Mẫu số", eiLookup: "Mã tra cứu",
      eiPending: "Hoá đơn điện tử đang được phát hành.",
      eiWhere: "Tra cứu hoá đơn điện tử trên trang của nhà cung cấp bằng mã tra cứu {code}.",
      stOpen: "Sổ theo dõi công nợ của mã {code}", usageOf: "Lượng nước tiêu thụ của mã {code}",
      toRegister: "Đăng ký tài khoản", toForgot: "Quên mật khẩu?", toLogin: "← Đăng nhập",
      toNotices: "Thông báo tạm ngưng cấp nước", toLink: "Liên kết thêm mã khách hàng",
      toNotify: "Cài đặt nhắc thanh toán", usageTitle: "Lượng nước tiêu thụ", reqOf: "Yêu cầu, phản ánh của mã {code}",
      evTitle: "Căn cứ của hoá đơn", evPhoto: "Ảnh đồng hồ nước khi ghi chỉ số ngày {d}",
      evReviewed: "Cán bộ quản lý đã xem ảnh trước khi lập hoá đơn.",
      methodLegend: "Cách thanh toán", methodVnpay: "VNPay (thẻ, ví, VNPAY-QR)",
      methodTransfer: "Chuyển khoản ngân hàng (VietQR, miễn phí)",
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
      brand: "Ca Mau Water", switchTo: "Tiếng Việt", logout: "Log out",
      loginTitle: "Log in", loginIntro: "See and pay your water bills with your customer code.",
      codeLabel: "Customer code", codeHint: "6–12 digits, printed on your bill (e.g. 01031059)",
      passwordLabel: "Password", loggingIn: "Logging in…",
      needCode: "Enter your customer code (6–12 digits).", needPassword: "Enter your password.",
      accountTitle: "Water bills", codesTitle: "Linked customer codes",
      pickHint: "Tick unpaid bills to pay them together.",
      invoicesOf: "Bills of code {code}", noInvoices: "No bills yet.", loading: "Loading…",
      more: "Show more bills", period: "Period {p}", usage: "{m3} m³ · meter {old} → {new}", due: "Due {d}",
      paid: "Paid", unpaid: "Unpaid", cancelled: "Cancelled", details: "Details",
      details_aria: "Details of the bill for {p}", pick: "Select the bill for {p} ({amount}) to pay",
      selected: "{n} selected: {amount}", paySelected: "Pay {amount}",
      back: "← All bills", invoiceTitle: "Bill for {p}", f_name: "Customer",
      f_number: "Invoice number", f_index: "Meter, old → new", f_usage: "Consumption", f_issued: "Issued on",
      f_due: "Due date", f_status: "Status", f_paid_at: "Paid at", item: "Item", amountCol: "Amount",
      total: "Total", inWords: "In words: {w}", l_water: "Water ({q} m³)", l_vat: "VAT {r}%",
      l_env_fee: "Waste-water environmental fee {r}%",
      payThis: "Pay this bill", pdf: "Download the PDF",
      eiTitle: "E-invoice", eiSeries: "Series", eiTemplate: "Template", eiLookup: "Look-up code",
      eiPending: "The e-invoice is being issued.",
      eiWhere: "Look the e-invoice up on the provider's page with the look-up code {code}.",
      stOpen: "Account statement of code {code}", usageOf: "Water used by code {code}",
      toRegister: "Create an account", toForgot: "Forgot your password?", toLogin: "← Log in",
      toNotices: "Water supply interruptions", toLink: "Link another customer code",
      toNotify: "Payment reminder settings", usageTitle: "Water used", reqOf: "Service requests of code {code}",
      evTitle: "What this bill rests on", evPhoto: "The meter when it was read on {d}",
      evReviewed: "A manager checked the photo before the bill was issued.",
      methodLegend: "How to pay", methodVnpay: "VNPay (card, wallet, VNPAY-QR)",
      methodTransfer: "Bank transfer (VietQR, free)",
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

const POLL_MS = 3000, LANG_KEY = "cskh.lang", REFRESH_KEY = "cskh.refresh";

// What a login has (cleared at logout).
const loggedOut = () => ({
  me: null, code: null, invoices: [], cursor: null, selected: {}, invoice: null, order: null,
  accountTransfer: null, transfer: null
});
const state = Object.assign({ lang: "vi", view: null, loads: 0 }, loggedOut());
const session = { access: null, accessUntil: 0, refresh: null, refreshing: null };
const poll = { orderId: null, timer: null };

const $ = (id) => document.getElementById(id);
const each = (selector, fn) => document.querySelectorAll(selector).forEach(fn);
const onClick = (id, fn) => $(id).addEventListener("click", fn);
const setText = (id, text) => { $(id).textContent = text; };
const present = (v) => v !== null && v !== undefined && v !== false;
const enc = encodeURIComponent;

function t(key, vars) {
  return (STRINGS[state.lang][key] || key).replace(/\{(\w+)\}/g, (_, k) => (vars && present(vars[k]) ? String(vars[k]) : ""));
}

// An element from data: text and attributes, never markup; on… keys are event handlers.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  Object.entries(attrs || {}).filter(([, v]) => present(v)).forEach(([k, v]) => {
    if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  });
  el.append(...children.filter(present));
  return el;
}

const button = (attrs, onclick, ...content) => h("button", Object.assign({ onclick }, attrs), ...content);
const clear = (el) => { el.textContent = ""; return el; };
const fill = (el, ...children) => { clear(el).append(...children.filter(present)); return el; };

// <dl> rows: [label key, value (text or nodes; left out when empty)].
function facts(rows, dl = h("dl", { class: "facts" })) {
  rows.filter(([, value]) => present(value) && value !== "").forEach(([key, value]) => {
    dl.append(h("dt", { text: t(key) }), h("dd", { "data-fact": key }, ...[].concat(value)));
  });
  return dl;
}

// A table row; cells are [text, class, id].
const row = (tag, cells) => h("tr", null, ...cells.map(([text, cls, id]) =>
  h(tag, { text, class: cls, id, scope: tag === "th" && "col" })));

// 78.255 ₫ (78,255 ₫ in English), dd/mm/yyyy; the API's times are Vietnam time, shown as is.
const vnd = (n) => String(Math.round(Number(n) || 0)).replace(/\B(?=(\d{3})+(?!\d))/g, state.lang === "vi" ? "." : ",") + " ₫";
const num = (n) => String(n).replace(".", state.lang === "vi" ? "," : ".");
const period = (p) => String(p || "").replace(/^(\d{4})-(\d{2})$/, "$2/$1");
const day = (d) => String(d || "").replace(/^(\d{4})-(\d{2})-(\d{2}).*/, "$3/$2/$1");
const moment = (iso) => String(iso || "").replace(/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}).*/, "$4:$5 $3/$2/$1");

// Storage may be unavailable (private modes): then memory only.
function load(store, key) { try { return window[store].getItem(key); } catch (e) { return null; } }
function save(store, key, value) {
  try { if (value === null) window[store].removeItem(key); else window[store].setItem(key, value); } catch (e) { /* memory only */ }
}

// -- the API: JSON, or a Blob for another `accept`; errors carry the API's message

const apiError = (message, status, code, field) => Object.assign(new Error(message), { status, code, field });
const bodyOf = (resp) => resp.clone().json().catch(() => null);

async function api(method, path, { body, accept = "application/json", auth = true } = {}) {
  const headers = { "Accept-Language": state.lang, Accept: accept };
  if (body) headers["Content-Type"] = "application/json";
  const call = () => {
    if (auth && session.access) headers.Authorization = "Bearer " + session.access;
    const init = { method, headers, body: body && JSON.stringify(body), cache: "no-store", credentials: "omit" };
    return fetch(path, init).catch(() => { throw apiError(t("network"), 0, "NETWORK"); });
  };
  if (auth && session.refresh && (!session.access || Date.now() > session.accessUntil - 30000)) await refresh();
  let resp = await call();
  if (auth && session.refresh && (await expired(resp))) {
    await refresh();
    resp = await call();
  }
  if (!resp.ok) {
    const b = await bodyOf(resp);
    throw apiError(b && typeof b.message === "string" ? b.message : t("httpError", { s: resp.status }), resp.status, b && b.code, b && b.field);
  }
  return accept === "application/json" ? resp.json() : resp.blob();
}

// A missing/expired token is a 401; chalice local's authorizer answers a bare 403 (no `code`).
const expired = async (resp) => resp.status === 401 || (resp.status === 403 && !((await bodyOf(resp)) || {}).code);

function setTokens(tk) {
  session.access = tk.access_token;
  session.accessUntil = Date.now() + (Number(tk.expires_in) || 60) * 1000;
  if (tk.refresh_token) { session.refresh = tk.refresh_token; save("sessionStorage", REFRESH_KEY, tk.refresh_token); }
}

// One refresh at a time: refresh tokens rotate, and a reused one ends the session.
function refresh() {
  session.refreshing = session.refreshing || (async () => {
    try {
      setTokens(await api("POST", "v1/auth/refresh", { body: { refresh_token: session.refresh }, auth: false }));
    } catch (e) {
      if (e.status !== 0) endSession(t("sessionEnded"));   // a network error keeps the session
      throw e;
    } finally { session.refreshing = null; }
  })();
  return session.refreshing;
}

const invoicePath = (id) => "v1/invoices/" + enc(id);
const vietqrPath = (code) => `v1/me/customers/${enc(code)}/vietqr`;

// -- views, errors, actions

// One view at a time, old errors gone; focus on its heading, so a screen reader says where it is.
function show(id) {
  each("main > section", (view) => { view.hidden = view.id !== id; });
  $(id).querySelectorAll(".alert").forEach(hideError);
  $("logout").hidden = id === "view-login" || !session.refresh;
  const changed = state.view !== null && state.view !== id;
  state.view = id;
  if (id !== "view-pay") poll.orderId = null;
  if (changed) $(id).querySelector("h1").focus();
}

function showError(el, err) { el.textContent = err.message || String(err); el.hidden = false; }
function hideError(el) { el.hidden = true; el.textContent = ""; }
const alertOf = (el) => el.closest("section").querySelector(".alert");

// A button's work: the button disabled meanwhile, a failure in its view's alert.
async function act(btn, work) {
  const alert = alertOf(btn);
  hideError(alert);
  btn.disabled = true;
  try { await work(); } catch (e) { showError(alert, e); }
  btn.disabled = false;
}

// A file fetched with the token, saved under our name.
function download(btn, path, accept, name) {
  return act(btn, async () => {
    const url = URL.createObjectURL(await api("GET", path, { accept }));
    const a = h("a", { href: url, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  });
}

// A QR fetched with the token (an <img> cannot send it), shown while still wanted.
async function showQr(img, path, wanted) {
  try {
    const blob = await api("GET", String(path || "").replace(/^\/+/, ""), { accept: "image/png" });
    if (!wanted()) return;
    if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
    img.src = URL.createObjectURL(blob);
  } catch (e) { showError(alertOf(img), e); }
}

function endSession(message) {
  Object.assign(session, { access: null, accessUntil: 0, refresh: null });
  save("sessionStorage", REFRESH_KEY, null);
  Object.assign(state, loggedOut());
  codeLinks();
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  show("view-login");
  if (message) showError($("login-error"), message);
}

// -- login

async function onLogin(ev) {
  ev.preventDefault();
  const code = $("code"), password = $("password"), err = $("login-error"), btn = ev.target.querySelector("button");
  const invalid = (field, message) => {
    field.setAttribute("aria-invalid", "true");
    if (message) showError(err, message);
    field.focus();
  };
  hideError(err);
  $("login-note").hidden = true;
  code.removeAttribute("aria-invalid");
  password.removeAttribute("aria-invalid");
  if (!/^\d{6,12}$/.test(code.value.trim())) return invalid(code, t("needCode"));
  if (!password.value) return invalid(password, t("needPassword"));
  btn.disabled = true;
  btn.textContent = t("loggingIn");
  try {
    const body = { customer_code: code.value.trim(), password: password.value };
    setTokens(await api("POST", "v1/auth/login", { body, auth: false }));
    password.value = "";
    state.code = null;
    codeLinks();
    route();   // the account, or the invoice/order the address names
  } catch (e) {
    showError(err, e);
    if (e.code === "INVALID_CREDENTIALS") invalid(password); else password.focus();
  }
  btn.disabled = false;
  btn.textContent = t("loginTitle");
}

function onLogout() {
  if (session.refresh) api("POST", "v1/auth/logout", { body: { refresh_token: session.refresh }, auth: false }).catch(() => {});
  endSession(null);
  $("code").focus();
}

// -- account: codes and invoices

async function openAccount() {
  show("view-account");
  try {
    state.me = state.me || (await api("GET", "v1/me"));
    const codes = (state.me.customers || []).map((c) => c.customer_code);
    if (!codes.includes(state.code)) state.code = codes[0] || null;
    renderCodes();
    await loadInvoices(false);
  } catch (e) { showError($("invoices-error"), e); }
}

function renderCodes() {
  const pick = (code) => { if (state.code !== code) { state.code = code; renderCodes(); loadInvoices(false); } };
  fill($("codes"), ...(state.me.customers || []).map((c) => h("li", null,
    button({ "aria-pressed": String(c.customer_code === state.code) }, () => pick(c.customer_code),
      h("b", { text: c.customer_code + (c.name ? " · " + c.name : "") }), h("span", { class: "muted", text: c.address })))));
  codeLinks();
}

// The chosen code's links: hidden while no code is chosen (signed out, or its account still loading), so a
// link left from the last session cannot open a view for no code.
function codeLinks() {
  $("open-statement").hidden = $("open-usage").hidden = $("open-requests").hidden = !state.code;
  setText("open-requests", state.code ? t("reqOf", { code: state.code }) : "");
  setText("open-statement", state.code ? t("stOpen", { code: state.code }) : "");
  setText("open-usage", state.code ? t("usageOf", { code: state.code }) : "");
}

async function loadInvoices(more) {
  const code = state.code, err = $("invoices-error");
  hideError(err);
  if (!code) { state.invoices = []; renderInvoices(); return; }
  if (!more) { state.cursor = null; state.selected = {}; setText("invoices-title", t("loading")); }
  const query = "?status=all&limit=12" + (more && state.cursor ? "&cursor=" + enc(state.cursor) : "");
  const seq = ++state.loads;   // only the latest load may render
  if (!more) loadAccountTransfer(code, seq);
  try {
    const page = await api("GET", `v1/customers/${enc(code)}/invoices${query}`);
    if (seq !== state.loads || state.code !== code) return;
    state.invoices = (more ? state.invoices : []).concat(page.invoices || []);
    state.cursor = page.next_cursor || null;
    renderInvoices();
  } catch (e) {
    if (seq === state.loads) { showError(err, e); setText("invoices-title", t("invoicesOf", { code })); }
  }
}

function renderInvoices() {
  setText("invoices-title", state.code ? t("invoicesOf", { code: state.code }) : "");
  const list = clear($("invoices"));
  if (state.code && !state.invoices.length) list.append(h("li", { class: "muted", text: t("noInvoices") }));
  state.invoices.forEach((inv) => {
    const p = period(inv.period), id = inv.invoice_id, unpaid = inv.status === "unpaid";
    const pick = (ev) => {
      if (ev.target.checked) state.selected[id] = inv; else delete state.selected[id];
      renderSelection();
    };
    list.append(h("li", { class: "invoice", "data-invoice": id, "data-status": inv.status },
      h("input", {
        type: "checkbox", class: "pick", disabled: !unpaid, checked: unpaid && !!state.selected[id],
        "aria-label": t("pick", { p, amount: vnd(inv.total) }), onchange: pick
      }),
      h("span", null, h("span", { class: "period", text: t("period", { p }) }), " ",
        h("span", { class: "badge " + inv.status, text: t(inv.status) })),
      h("span", { class: "total", text: vnd(inv.total) }),
      h("span", { class: "meta", text: t("usage", { m3: inv.consumption_m3, old: inv.old_index, new: inv.new_index })
        + " · " + t("due", { d: day(inv.due_date) }) }),
      h("span"),
      button({ class: "link open", "aria-label": t("details_aria", { p }) }, () => goTo("hoa-don", id), t("details"))));
  });
  if (state.cursor) list.append(h("li", null, button({ class: "secondary" }, () => loadInvoices(true), t("more"))));
  renderSelection();
}

// Offer the transfer when the code's bills can be paid so (VietQR on, something open).
async function loadAccountTransfer(code, seq) {
  state.accountTransfer = null;
  try {
    const tr = await api("GET", vietqrPath(code));
    if (seq === state.loads && state.code === code) { state.accountTransfer = tr; renderSelection(); }
  } catch (e) { /* no choice shown: VNPay only */ }
}

const canTransfer = (tr) => tr && tr.bank && tr.vietqr_payload;

function renderSelection() {
  const chosen = Object.values(state.selected), total = vnd(chosen.reduce((sum, i) => sum + i.total, 0));
  $("method-list").hidden = !canTransfer(state.accountTransfer);
  $("pay-selected-box").hidden = !chosen.length;
  $("pick-hint").hidden = !state.invoices.some((i) => i.status === "unpaid");
  setText("selected-total", t("selected", { n: chosen.length, amount: total }));
  setText("pay-selected", t("paySelected", { amount: total }));
}

// -- one invoice

async function openInvoice(id) {
  show("view-invoice");
  if (state.invoice && state.invoice.invoice_id === id) renderInvoice();
  else {
    state.invoice = null;
    setText("invoice-title", t("loading"));
    clear($("invoice-body"));
    clear($("invoice-usage"));
    $("pay-one").hidden = $("method-one").hidden = true;
  }
  try {
    state.invoice = await api("GET", invoicePath(id));
    renderInvoice();
  } catch (e) { setText("invoice-title", ""); showError($("invoice-error"), e); }
}

function lineLabel(l) {
  if (l.kind === "water" && l.quantity !== undefined) return t("l_water", { q: num(l.quantity) });
  if ((l.kind === "vat" || l.kind === "env_fee") && l.rate_percent !== undefined) return t("l_" + l.kind, { r: num(l.rate_percent) });
  const parts = String(l.description || "").split(" / ");   // the API writes "Vietnamese / English"
  return state.lang === "en" && parts[1] ? parts[1] : parts[0];
}

function renderInvoice() {
  const inv = state.invoice;
  if (!inv) return;
  setText("invoice-title", t("invoiceTitle", { p: period(inv.period) }));
  fill($("invoice-body"),
    facts([
      ["codeLabel", inv.customer_code], ["f_name", inv.customer_name],
      ["f_number", inv.invoice_number && `${inv.invoice_template || ""}${inv.invoice_symbol || ""} · ${inv.invoice_number}`],
      ["f_index", inv.old_index + " → " + inv.new_index], ["f_usage", inv.consumption_m3 + " m³"],
      ["f_issued", day(inv.issued_on)], ["f_due", day(inv.due_date)],
      ["f_status", t(inv.status)], ["f_paid_at", inv.paid_at && moment(inv.paid_at)]
    ]),
    h("table", { class: "lines" },
      h("thead", null, row("th", [[t("item")], [t("amountCol"), "num"]])),
      h("tbody", null, ...(inv.lines || []).map((l) => row("td", [[lineLabel(l)], [vnd(l.amount), "num"]]))),
      h("tfoot", null, row("td", [[t("total")], [vnd(inv.total), "num", "invoice-total"]]))),
    inv.amount_in_words && state.lang === "vi" && h("p", { class: "words", text: t("inWords", { w: inv.amount_in_words }) }),
    einvoiceBox(inv), evidenceBox(inv.evidence));
  fill($("invoice-usage"), usageBox(inv.consumption));
  $("pay-one").hidden = inv.status !== "unpaid";
  $("method-one").hidden = inv.status !== "unpaid" || !canTransfer(inv.transfer);
}

// The consumption up to this bill (issue 18): the chart from web/usage.js, loaded once it is wanted.
function usageBox(history) {
  if (!history || !(history.periods || []).length) return null;
  const box = h("section", { class: "usage", "aria-labelledby": "usage-heading" },
    h("h2", { class: "sub", id: "usage-heading", text: t("usageTitle") }));
  viewModule("usage").then((m) => box.append(m.chart(kit, history, "usage-heading")), () => box.remove());
  return box;
}

// The reading behind the bill (issue 18): what the rules flagged, as text, and the meter photo (a 5-minute
// link to the photos' bucket, which the CSP allows).
function evidenceBox(ev) {
  const photo = ev && /^https?:\/\//.test(ev.photo_url) && ev.photo_url;
  return ev && h("section", { class: "evidence" }, h("h2", { class: "sub", text: t("evTitle") }),
    (ev.reasons || []).length ? h("ul", null, ...ev.reasons.map((r) => h("li", { text: (state.lang === "en" && r.message_en) || r.message_vi }))) : null,
    ev.reviewed && h("p", { class: "muted", text: t("evReviewed") }),
    photo && h("figure", { class: "photos" }, h("img", { src: photo, alt: t("evPhoto", { d: day(ev.read_at) }) })));
}

// The legal e-invoice (issue 17): its number and where to look it up, or that it is being issued.
function einvoiceBox(inv) {
  const ei = inv.einvoice, url = /^https?:\/\//.test(inv.einvoice_lookup_url) && inv.einvoice_lookup_url;
  return ei && h("section", { class: "einvoice" }, h("h2", { class: "sub", text: t("eiTitle") }),
    ei.status !== "issued" ? h("p", { class: "muted", text: t("eiPending") }) : facts([["f_number", ei.number],
      ["eiSeries", ei.series], ["eiTemplate", ei.template], ["f_issued", day(ei.issued_at)], ["eiLookup", ei.lookup_code]]),
    ei.status === "issued" && h("p", { class: "muted" }, t("eiWhere", { code: ei.lookup_code }), url && " ",
      url && h("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: url })));
}

// -- paying: with VNPay at #/thanh-toan/<order id>; by bank transfer (VietQR) at #/chuyen-khoan/<invoice
//    id> (reference TH…) or #/chuyen-khoan-ma/<code> (TN…: the code's open invoices)

// The method picked in a radio group; VNPay while the choice is hidden.
function method(id) {
  const picked = $(id).querySelector(":checked");
  return picked && !$(id).hidden ? picked.value : "vnpay";
}

function pay(ids, btn, choice) {
  if (!ids.length) return;
  // By transfer, one bill has its own reference; several, the code's (its open bills, oldest first).
  if (choice && method(choice) === "transfer") {
    return ids.length === 1 ? goTo("chuyen-khoan", ids[0]) : goTo("chuyen-khoan-ma", state.code);
  }
  act(btn, async () => {
    state.order = await api("POST", "v1/payments", { body: { invoice_ids: ids } });
    goTo("thanh-toan", state.order.order_id);
  });
}

async function openOrder(id) {
  show("view-pay");
  try {
    if (!state.order || state.order.order_id !== id) {
      $("pay-body").hidden = true;
      state.order = await api("GET", "v1/payments/" + enc(id));
    }
    if (state.view !== "view-pay") return;
    renderOrder();
    const o = state.order;
    if (o.status !== "pending") return;
    showQr($("qr"), o.qr_png_url || `v1/payments/${enc(id)}/qr.png`, () => state.order && state.order.order_id === id);
    poll.orderId = id;
    schedule();
  } catch (e) { showError($("pay-error"), e); }
}

function renderOrder() {
  const o = state.order;
  if (!o) return;
  const pending = o.status === "pending", paid = o.status === "paid" && o.paid_at, status = $("pay-status");
  $("pay-body").hidden = false;
  setText("pay-amount", vnd(o.amount));
  setText("pay-items", t("payItems", { list: (o.items || []).map((i) => `${period(i.period)} (${i.customer_code})`).join(", ") }));
  $("qr").alt = t("qrAlt", { amount: vnd(o.amount) });
  $("qr").closest("figure").hidden = $("pay-link").hidden = !pending;
  $("pay-link").href = o.payment_url || "#";
  $("pay-expiry").hidden = !pending && !paid;
  setText("pay-expiry", paid ? t("paidDetail", { t: moment(o.paid_at), n: o.transaction_no || "–" })
    : t("expires", { t: moment(o.expires_at) }));
  $("pay-again").hidden = o.status !== "expired" && o.status !== "failed";
  status.textContent = t("s_" + o.status);
  status.className = "status " + o.status;
  status.dataset.status = o.status;
}

// A pending order is asked for every POLL_MS; not while the tab is hidden (at once when shown).
function schedule() {
  clearTimeout(poll.timer);
  if (poll.orderId && !document.hidden) poll.timer = setTimeout(checkOrder, POLL_MS);
}

async function checkOrder() {
  const id = poll.orderId;
  if (!id) return;
  try {
    const order = await api("GET", "v1/payments/" + enc(id));
    if (poll.orderId !== id) return;
    state.order = order;
    renderOrder();
    if (order.status === "pending") return schedule();
    poll.orderId = null;
    state.invoice = null;
    if (order.status === "paid") loadInvoices(false);   // the list shows paid when the customer goes back
  } catch (e) { if (poll.orderId === id && session.refresh) schedule(); }
}

document.addEventListener("visibilitychange", () => { if (document.hidden) clearTimeout(poll.timer); else checkOrder(); });

// -- language

const otherLang = () => (state.lang === "vi" ? "en" : "vi");

function setLang(lang) {
  state.lang = STRINGS[lang] ? lang : "vi";
  save("localStorage", LANG_KEY, state.lang);
  document.documentElement.lang = state.lang;
  document.title = t("title");
  each("[data-i18n]", (el) => { el.textContent = t(el.dataset.i18n); });
  setText("lang", t("switchTo"));
  $("lang").lang = otherLang();
  if (state.me) { renderCodes(); renderInvoices(); }
  renderInvoice();
  renderOrder();
  each(".alert", hideError);
  Object.values(modules).forEach((m) => m.relabel && m.relabel(kit, state.view));   // a view's own texts
}

// -- routes: #/ (the invoices), #/<place>/<id> and #/<place>

const PLACES = { "hoa-don": openInvoice, "thanh-toan": openOrder };

// The views loaded on demand, each a module web/<name>.js (kept out of the first load: see
// test_the_website_stays_small): place -> [module, open without login?]. A module exports STRINGS (vi
// and en, merged into these on load), open(kit, place, id) and, if it has texts of its own to redraw
// in another language, relabel(kit, view). index.html names each module in <meta name="modules">, so
// it is fetched with its content hash. A new view is a line here, a module and its name there.
const VIEWS = {
  "dang-ky": ["account", true], "quen-mat-khau": ["account", true], "lien-ket": ["account"],
  "nhan-thong-bao": ["notify"], "tieu-thu": ["usage"], "thong-bao": ["notices", true],
  "so-cong-no": ["statement"], "chuyen-khoan": ["transfer"], "chuyen-khoan-ma": ["transfer"],
  "yeu-cau": ["requests"], "yeu-cau-moi": ["requests"], "xem-yeu-cau": ["requests"]
};
const modules = {}, loading = {};

// A module, once: its texts merged in; the import is tried again after a failure.
function viewModule(name) {
  const meta = document.querySelector("meta[name=modules]"), src = (meta && meta.dataset[name]) || `web/${name}.js`;
  loading[name] = loading[name] || import(new URL(src, document.baseURI).href).then((m) => {
    Object.keys(STRINGS).forEach((lang) => Object.assign(STRINGS[lang], m.STRINGS[lang]));
    each("[data-i18n]", (el) => { el.textContent = t(el.dataset.i18n); });
    return (modules[name] = m);
  }, () => { delete loading[name]; throw apiError(t("network"), 0, "NETWORK"); });
  return loading[name];
}

// A module's view: a card appended to <main> once, with a way back, its heading (focused when shown),
// its alert, then `children`; ids view-<name>, <name>-title, <name>-error.
function section(name, title, back, ...children) {
  const backTo = h("button", { class: "link back", "data-i18n": back || "back", text: t(back || "back") });
  backTo.onclick = () => go("#/");
  const card = h("section", { id: "view-" + name, class: "card", "aria-labelledby": name + "-title", hidden: true }, backTo,
    h("h1", { id: name + "-title", tabindex: "-1", "data-i18n": title, text: title && t(title) }),
    h("p", { id: name + "-error", class: "alert", role: "alert", hidden: true }), ...children);
  $("main").append(card);
  return card;
}

function go(hash) { if (location.hash === hash) route(); else location.hash = hash; }
const goTo = (place, id) => go(`#/${place}` + (id ? "/" + enc(id) : ""));

function route() {
  const m = /^#\/([a-z-]+)(?:\/([^/]+))?$/.exec(location.hash) || [], place = m[1], id = m[2] && decodeURIComponent(m[2]);
  const lazy = VIEWS.hasOwnProperty(place) && VIEWS[place];
  if (!session.refresh && !(lazy && lazy[1])) return show("view-login");
  if (lazy) {
    viewModule(lazy[0]).then((mod) => mod.open(kit, place, id),
      (e) => { if (session.refresh) { openAccount(); showError($("invoices-error"), e); } else showError($("login-error"), e); });
  } else if (PLACES.hasOwnProperty(place) && id) PLACES[place](id); else openAccount();
}

// What the views loaded on demand may use of this page.
const kit = {
  $, h, t, api, state, session, show, showError, hideError, act, button, clear, fill, facts, row, setText, each,
  vnd, num, period, day, moment, enc, download, showQr, setTokens, go, goTo, route, section, viewModule,
  invoicePath, vietqrPath, canTransfer
};

// Each .method fieldset: VNPay or a bank transfer, a radio group (the arrow keys move the choice).
each(".method", (set) => set.append(h("legend", { "data-i18n": "methodLegend" }), ...["vnpay", "transfer"].map((value, i) =>
  h("label", null, h("input", { type: "radio", name: set.id, value, checked: !i }), " ",
    h("span", { "data-i18n": i ? "methodTransfer" : "methodVnpay" })))));
$("login-form").addEventListener("submit", onLogin);
onClick("logout", onLogout);
onClick("lang", () => setLang(otherLang()));
each("[data-back]", (b) => b.addEventListener("click", () => go("#/")));
onClick("pay-one", () => { if (state.invoice) pay([state.invoice.invoice_id], $("pay-one"), "method-one"); });
onClick("pay-selected", () => pay(Object.keys(state.selected), $("pay-selected"), "method-list"));
onClick("pay-again", () => {
  const ids = (state.order && state.order.invoice_ids) || [];
  state.order = null;
  pay(ids, $("pay-again"));
});
onClick("pdf", () => {
  const inv = state.invoice;
  if (inv) download($("pdf"), invoicePath(inv.invoice_id) + "/pdf", "application/pdf", `hoa-don-${inv.customer_code}-${inv.period}.pdf`);
});
onClick("open-statement", () => goTo("so-cong-no", state.code));
onClick("open-usage", () => goTo("tieu-thu", state.code));
onClick("open-requests", () => goTo("yeu-cau", state.code));
onClick("open-link", () => goTo("lien-ket"));
onClick("open-notify", () => goTo("nhan-thong-bao"));
onClick("open-notices", () => goTo("thong-bao"));
window.addEventListener("hashchange", route);

setLang(load("localStorage", LANG_KEY) || "vi");
// ?invoice=<id> (PAYMENT_LINK_BASE: a printed bill's QR, the reminders) opens that invoice, after login.
const wanted = /[?&]invoice=([A-Za-z0-9._-]{1,64})(?:&|$)/.exec(location.search);
if (wanted) history.replaceState(null, "", location.pathname + (location.hash || "#/hoa-don/" + wanted[1]));
session.refresh = load("sessionStorage", REFRESH_KEY);
if (!session.refresh) show("view-login");
else refresh().then(route, (e) => { if (e.status === 0) { show("view-login"); showError($("login-error"), e); } });
