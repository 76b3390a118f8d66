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
      stOpen: "Sổ theo dõi công nợ của mã {code}",
      stOwes: "Còn phải trả {a}", stInCredit: "Đang có tiền thừa {a}", stSettled: "Không còn nợ",
      stCredit: "Tiền thừa trên tài khoản", stOpenSum: "Còn nợ trên hoá đơn", stOpenTitle: "Hoá đơn còn nợ",
      stNoOpen: "Không còn hoá đơn nợ.", stEntries: "Các khoản phát sinh", stNone: "Chưa có phát sinh nào.",
      stDate: "Ngày", stDesc: "Nội dung", stAmount: "Phát sinh", stBalance: "Số dư", stPeriod: "Kỳ",
      stPaid: "Đã trả", stLeft: "Còn nợ",
      stNote: "Số dư dương là số tiền còn phải trả; số dư âm là tiền thừa, được trừ vào hoá đơn kỳ sau.",
      csv: "Tải file CSV (Excel)",
      methodLegend: "Cách thanh toán", methodVnpay: "VNPay (thẻ, ví, VNPAY-QR)",
      methodTransfer: "Chuyển khoản ngân hàng (VietQR, miễn phí)",
      transferTitle: "Chuyển khoản ngân hàng (VietQR)",
      transferOne: "Hoá đơn kỳ {p} của mã {code}.",
      transferAll: "Trả {n} hoá đơn còn nợ của mã {code} (hoá đơn cũ trước); tiền thừa được trừ vào kỳ sau.",
      vietqrAlt: "Mã VietQR để chuyển {amount} đến {bank}, tài khoản {account}, nội dung {ref}",
      vietqrHelp: "Mở ứng dụng ngân hàng bất kỳ, chọn “Quét mã QR” và quét mã này: số tài khoản, số tiền và nội dung được điền sẵn.",
      transferTyped: "Hoặc chuyển khoản với các thông tin sau",
      transferNote: "Ghi đúng nội dung chuyển khoản để hoá đơn được ghi nhận tự động. Chuyển khoản nhanh NAPAS 247, thường không mất phí.",
      t_bank: "Ngân hàng", t_account: "Số tài khoản", t_name: "Chủ tài khoản", t_amount: "Số tiền",
      t_ref: "Nội dung chuyển khoản", copy: "Sao chép", copyWhat: "Sao chép {what}", copied: "Đã sao chép {what}: {v}",
      copyFailed: "Không sao chép được; vui lòng chọn và sao chép {what} bằng tay.",
      nothingToPay: "Không còn khoản nào phải thanh toán.", transferOff: "Chưa có dịch vụ chuyển khoản bằng mã VietQR.",
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
      stOpen: "Account statement of code {code}",
      stOwes: "You owe {a}", stInCredit: "In credit: {a}", stSettled: "Nothing owed",
      stCredit: "Credit on the account", stOpenSum: "Open on bills", stOpenTitle: "Bills still open",
      stNoOpen: "No open bills.", stEntries: "Entries", stNone: "No entries yet.",
      stDate: "Date", stDesc: "Description", stAmount: "Amount", stBalance: "Balance", stPeriod: "Period",
      stPaid: "Paid", stLeft: "Open",
      stNote: "A positive balance is what you owe; a negative one is credit, taken off your next bill.",
      csv: "Download CSV (Excel)",
      methodLegend: "How to pay", methodVnpay: "VNPay (card, wallet, VNPAY-QR)",
      methodTransfer: "Bank transfer (VietQR, free)",
      transferTitle: "Bank transfer (VietQR)",
      transferOne: "The bill for {p} of code {code}.",
      transferAll: "Pays the {n} open bills of code {code} (oldest first); anything over is taken off your next bill.",
      vietqrAlt: "VietQR code to transfer {amount} to {bank}, account {account}, reference {ref}",
      vietqrHelp: "Open any bank app, choose “Scan QR” and scan this code: the account, amount and reference are filled in.",
      transferTyped: "Or transfer with these details",
      transferNote: "Write the reference exactly so the bill is marked paid by itself. NAPAS 247 fast transfer, usually free.",
      t_bank: "Bank", t_account: "Account number", t_name: "Account name", t_amount: "Amount",
      t_ref: "Transfer reference", copy: "Copy", copyWhat: "Copy the {what}", copied: "Copied the {what}: {v}",
      copyFailed: "Could not copy; please select and copy the {what} by hand.",
      nothingToPay: "Nothing is left to pay.", transferOff: "Bank transfer by VietQR is not offered.",
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
  statement: null, accountTransfer: null, transfer: null
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

const apiError = (message, status, code) => Object.assign(new Error(message), { status, code });
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
    throw apiError(b && typeof b.message === "string" ? b.message : t("httpError", { s: resp.status }), resp.status, b && b.code);
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
  $("logout").hidden = id === "view-login";
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
  $("open-statement").hidden = !state.code;
  setText("open-statement", state.code ? t("stOpen", { code: state.code }) : "");
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
    einvoiceBox(inv));
  $("pay-one").hidden = inv.status !== "unpaid";
  $("method-one").hidden = inv.status !== "unpaid" || !canTransfer(inv.transfer);
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

// -- the account statement (sổ theo dõi công nợ): a positive balance is owed, a negative one credit

// A table under its heading, scrolling sideways on a phone.
function grid(id, title, heads, rows, empty) {
  const heading = h("h2", { class: "sub", id, text: title });
  if (!rows.length) return [heading, h("p", { class: "muted", text: empty })];
  return [heading, h("div", { class: "scroll", tabindex: "0", role: "region", "aria-labelledby": id },
    h("table", { class: "lines", "aria-labelledby": id },
      h("thead", null, row("th", heads.map((key, i) => [t(key), /num/.test(rows[0][i][1] || "") && "num"]))),
      h("tbody", null, ...rows.map((r) => row("td", r)))))];
}

async function openStatement(code) {
  show("view-statement");
  setText("statement-title", t("stOpen", { code }));
  $("statement-csv").hidden = true;
  state.statement = null;
  const body = fill($("statement-body"), h("p", { class: "muted", role: "status", text: t("loading") }));
  let s;
  try {
    s = await api("GET", "v1/me/account?customer_code=" + enc(code));
  } catch (e) { clear(body); return showError($("statement-error"), e); }
  if (state.view !== "view-statement" || s.customer_code !== code) return;
  state.statement = s;
  const credit = (n) => (n < 0 ? " credit" : "");
  const headline = s.balance > 0 ? t("stOwes", { a: vnd(s.balance) })
    : s.balance < 0 ? t("stInCredit", { a: vnd(-s.balance) }) : t("stSettled");
  fill(body,
    h("p", { class: "amount" + credit(s.balance), text: headline }),
    facts([["stCredit", vnd(s.credit)], ["stOpenSum", vnd(s.open_amount)]]),
    ...grid("st-open", t("stOpenTitle"), ["stPeriod", "total", "stPaid", "stLeft"], (s.open_invoices || []).map((i) =>
      [[period(i.period)], [vnd(i.total), "num"], [vnd(i.paid_amount), "num"], [vnd(i.open_amount), "num"]]), t("stNoOpen")),
    ...grid("st-entries", t("stEntries"), ["stDate", "stDesc", "stAmount", "stBalance"], (s.entries || []).map((e) => [
      [e.date ? day(e.date) : "–"], [e.description + (e.reference ? " · " + e.reference : "")],
      e.effect ? [(e.effect > 0 ? "+" : "") + vnd(e.effect), "num"] : [`(${vnd(e.amount)})`, "num muted"],
      [vnd(e.balance), "num" + credit(e.balance)]]), t("stNone")),
    h("p", { class: "muted", text: t("stNote") }));
  $("statement-csv").hidden = false;
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

async function openTransfer(kind, id) {
  show("view-transfer");
  setText("copy-status", "");
  const place = kind + "/" + id;
  if (state.transfer && state.transfer.place === place) renderTransfer();
  else { state.transfer = null; $("transfer-body").hidden = true; }
  try {
    let got;   // the transfer, and what it pays (a text key and its values)
    if (kind === "invoice") {
      const inv = state.invoice = await api("GET", invoicePath(id));
      got = { place, tr: inv.transfer, scope: ["transferOne", { p: period(inv.period), code: inv.customer_code }] };
    } else {
      const tr = await api("GET", vietqrPath(id));
      got = { place, tr, scope: ["transferAll", { n: (tr.invoice_ids || []).length, code: tr.customer_code }] };
    }
    if (state.view !== "view-transfer") return;
    state.transfer = got;
    if (!canTransfer(got.tr)) throw new Error(t(got.tr && !got.tr.bank ? "transferOff" : "nothingToPay"));
    renderTransfer();
    showQr($("vietqr"), got.tr.png_url, () => state.transfer === got);
  } catch (e) { $("transfer-body").hidden = true; showError($("transfer-error"), e); }
}

function renderTransfer() {
  const s = state.transfer, tr = s && s.tr;
  if (!canTransfer(tr)) return;
  $("transfer-body").hidden = false;
  setText("transfer-amount", vnd(tr.amount));
  setText("transfer-scope", t(...s.scope));
  $("vietqr").alt = t("vietqrAlt", { amount: vnd(tr.amount), bank: tr.bank.short_name, account: tr.account_no, ref: tr.payment_reference });
  // Each detail; a button copies it as a bank app wants it typed (the amount: digits only).
  const value = (key, text, copied) => {
    const what = t(key).toLowerCase();
    return [key, [h("span", { class: "value", text }), copied !== undefined
      && button({ class: "secondary copy", "aria-label": t("copyWhat", { what }) }, () => copyText(copied, what), t("copy"))]];
  };
  facts([
    value("t_bank", `${tr.bank.short_name} (${tr.bank.name})`), value("t_account", tr.account_no, tr.account_no),
    value("t_name", tr.account_name), value("t_amount", vnd(tr.amount), String(tr.amount)),
    value("t_ref", tr.payment_reference, tr.payment_reference)
  ], clear($("transfer-facts")));
}

// The clipboard API if the page may use it; else a selected text area and execCommand.
async function copyText(value, what) {
  try {
    await navigator.clipboard.writeText(value);
  } catch (e) {
    const area = h("textarea", { readonly: true, "aria-hidden": "true", class: "offscreen" });
    area.value = value;
    document.body.append(area);
    area.select();
    let copied = false;
    try { copied = document.execCommand("copy"); } catch (e2) { /* not copied */ }
    area.remove();
    if (!copied) return setText("copy-status", t("copyFailed", { what }));
  }
  setText("copy-status", t("copied", { what, v: value }));
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
  renderTransfer();
  each(".alert", hideError);
  if (state.view === "view-statement") route();   // its descriptions come in the language asked for
}

// -- routes: #/ (the invoices) and #/<place>/<id>

const PLACES = {
  "hoa-don": openInvoice, "thanh-toan": openOrder, "so-cong-no": openStatement,
  "chuyen-khoan": (id) => openTransfer("invoice", id), "chuyen-khoan-ma": (id) => openTransfer("account", id)
};

function go(hash) { if (location.hash === hash) route(); else location.hash = hash; }
const goTo = (place, id) => go(`#/${place}/${enc(id)}`);

function route() {
  if (!session.refresh) return show("view-login");
  const m = /^#\/([a-z-]+)\/([^/]+)$/.exec(location.hash);
  if (m && PLACES.hasOwnProperty(m[1])) PLACES[m[1]](decodeURIComponent(m[2])); else openAccount();
}

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
onClick("statement-csv", () => {
  const code = state.statement && state.statement.customer_code;
  if (code) download($("statement-csv"), "v1/me/account?format=csv&customer_code=" + enc(code), "text/csv", `so-cong-no-${code}.csv`);
});
onClick("open-statement", () => goTo("so-cong-no", state.code));
window.addEventListener("hashchange", route);

setLang(load("localStorage", LANG_KEY) || "vi");
// ?invoice=<id> (PAYMENT_LINK_BASE: a printed bill's QR, the reminders) opens that invoice, after login.
const wanted = /[?&]invoice=([A-Za-z0-9._-]{1,64})(?:&|$)/.exec(location.search);
if (wanted) history.replaceState(null, "", location.pathname + (location.hash || "#/hoa-don/" + wanted[1]));
session.refresh = load("sessionStorage", REFRESH_KEY);
if (!session.refresh) show("view-login");
else refresh().then(route, (e) => { if (e.status === 0) { show("view-login"); showError($("login-error"), e); } });
