/* Service requests (issue 18), loaded on demand: #/yeu-cau/<code> (a linked code's requests, newest
   first), #/yeu-cau-moi/<code> (a new one: the kinds from GET /v1/me/ticket-types, each asking for what
   it needs) and #/xem-yeu-cau/<ticket id> (one, with its history, staff replies, a message, a rating).
   A photo goes straight to S3: POST /v1/me/photos answers a presigned form, posted with the file (the
   page's CSP allows that bucket and nothing else); the request then names it by its photo_id. */

export const STRINGS = {
    vi: {
      rqTitle: "Yêu cầu của mã {code}", rqNew: "Gửi yêu cầu mới", rqNone: "Mã này chưa có yêu cầu nào.",
      rqMore: "Xem thêm yêu cầu", rqSent: "Gửi lúc {t}", rqOverdue: "Quá hạn xử lý", rqOpen: "Xem yêu cầu {name}, gửi lúc {t}",
      st_new: "Mới tiếp nhận", st_assigned: "Đã phân công", st_in_progress: "Đang xử lý",
      st_resolved: "Đã xử lý xong", st_rejected: "Từ chối",
      rqNewTitle: "Gửi yêu cầu cho mã {code}", rqType: "Loại yêu cầu", rqSla: "Thời hạn xử lý: {h} giờ.",
      rqDesc: "Nội dung", rqDescHint: "Mô tả sự việc, địa điểm, thời gian thuận tiện để liên hệ.",
      rqPhoto: "Ảnh (JPEG, PNG hoặc WebP, tối đa 5 MB, tối đa 5 ảnh)", rqLat: "Vĩ độ", rqLng: "Kinh độ",
      rqWhere: "Vị trí", rqHere: "Dùng vị trí hiện tại", rqLocating: "Đang lấy vị trí…",
      rqLocated: "Đã lấy vị trí (sai số khoảng {m} m).", rqNoGeo: "Không lấy được vị trí. Vui lòng nhập toạ độ.",
      rqResidents: "Số nhân khẩu trong hộ", rqInvoice: "Hoá đơn cần khiếu nại", rqSend: "Gửi yêu cầu",
      rqUploading: "Đang tải ảnh {i}/{n}…", rqSending: "Đang gửi yêu cầu…",
      rqNeed: "Vui lòng điền: {f}.", rqBadPhoto: "Ảnh {name} không hợp lệ: chỉ JPEG, PNG, WebP, tối đa 5 MB.",
      rqUploadFailed: "Không tải được ảnh lên. Vui lòng thử lại.",
      rqAt: "Gửi lúc", rqCode: "Mã khách hàng", rqStatus: "Trạng thái", rqDue: "Hạn xử lý", rqClosed: "Hoàn tất lúc",
      rqReason: "Lý do", rqPos: "Toạ độ", rqInv: "Hoá đơn", rqPhotos: "Ảnh đính kèm",
      rqPhotoAlt: "Ảnh {n} của yêu cầu", rqHistory: "Diễn biến", rqRefresh: "Cập nhật",
      by_customer: "Bạn", by_staff: "Nhân viên", by_admin: "Cán bộ quản lý",
      ev_created: "đã gửi yêu cầu", ev_message: "đã nhắn", ev_assigned: "đã phân công xử lý",
      ev_status: "chuyển trạng thái: {a} → {b}", ev_rated: "đã đánh giá",
      rqMessage: "Nhắn thêm", rqMessageSend: "Gửi tin nhắn", rqRate: "Đánh giá kết quả xử lý",
      rqStars: "{n} trên 5", rqComment: "Góp ý (không bắt buộc)", rqRateSend: "Gửi đánh giá",
      rqRated: "Bạn đã đánh giá {n}/5.", rqDone: "Đã gửi."
    },
    en: {
      rqTitle: "Requests of code {code}", rqNew: "Make a new request", rqNone: "No request for this code yet.",
      rqMore: "Show more requests", rqSent: "Sent at {t}", rqOverdue: "Overdue", rqOpen: "Open the request {name} sent at {t}",
      st_new: "Received", st_assigned: "Assigned", st_in_progress: "In progress",
      st_resolved: "Resolved", st_rejected: "Rejected",
      rqNewTitle: "New request for code {code}", rqType: "Kind of request", rqSla: "Handled within {h} hours.",
      rqDesc: "Details", rqDescHint: "What happened, where, and when we can reach you.",
      rqPhoto: "Photos (JPEG, PNG or WebP, up to 5 MB, at most 5)", rqLat: "Latitude", rqLng: "Longitude",
      rqWhere: "Position", rqHere: "Use my current position", rqLocating: "Finding your position…",
      rqLocated: "Position found (within about {m} m).", rqNoGeo: "Your position is not available. Please type it.",
      rqResidents: "Residents of the household", rqInvoice: "The bill in question", rqSend: "Send the request",
      rqUploading: "Uploading photo {i} of {n}…", rqSending: "Sending the request…",
      rqNeed: "Please fill in: {f}.", rqBadPhoto: "The photo {name} cannot be sent: JPEG, PNG or WebP up to 5 MB only.",
      rqUploadFailed: "The photo could not be uploaded. Please try again.",
      rqAt: "Sent at", rqCode: "Customer code", rqStatus: "Status", rqDue: "Due by", rqClosed: "Closed at",
      rqReason: "Reason", rqPos: "Position", rqInv: "Bill", rqPhotos: "Photos",
      rqPhotoAlt: "Photo {n} of the request", rqHistory: "History", rqRefresh: "Refresh",
      by_customer: "You", by_staff: "Staff", by_admin: "Manager",
      ev_created: "sent the request", ev_message: "wrote", ev_assigned: "assigned it",
      ev_status: "changed the status: {a} → {b}", ev_rated: "rated it",
      rqMessage: "Add a message", rqMessageSend: "Send the message", rqRate: "Rate how it was handled",
      rqStars: "{n} out of 5", rqComment: "Comment (optional)", rqRateSend: "Send the rating",
      rqRated: "You rated it {n}/5.", rqDone: "Sent."
    }
};

const TYPES = ["image/jpeg", "image/png", "image/webp"], MAX_BYTES = 5 * 1024 * 1024, MAX_PHOTOS = 5;
let kit, now = null;   // what is shown: {view, code | ticket, ...}
const badge = (s) => ({ resolved: "paid", rejected: "failed" })[s] || "unpaid";

function cards() {
  const { $, h, t, section, button } = kit;
  if ($("view-requests")) return;
  section("requests", null, null,
    button({ class: "primary wide", id: "rq-new", "data-i18n": "rqNew", text: t("rqNew") }, () => kit.goTo("yeu-cau-moi", now.code)),
    h("ul", { id: "rq-list", class: "tickets", "aria-labelledby": "requests-title", "aria-live": "polite" }));
  const form = h("form", { id: "rq-form", novalidate: true });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); send(); });
  section("request-new", null, null, form);
  section("request", null, null, h("div", { id: "rq-body", "aria-live": "polite" }));
}

// -- one code's requests

async function list(code, more) {
  const { $, h, t, api, enc, fill, showError, setText, moment, button } = kit;
  if (!more) now = { view: "view-requests", code, tickets: [], cursor: null };
  setText("requests-title", t("rqTitle", { code }));
  const q = `v1/me/tickets?customer_code=${enc(code)}&limit=20` + (more ? "&cursor=" + enc(now.cursor) : "");
  try {
    const page = await api("GET", q);
    if (kit.state.view !== "view-requests" || now.code !== code) return;
    now.tickets = now.tickets.concat(page.tickets || []);
    now.cursor = page.next_cursor || null;
  } catch (e) { return showError($("requests-error"), e); }
  fill($("rq-list"), ...(now.tickets.length ? now.tickets.map((tk) => h("li", { class: "ticket", "data-ticket": tk.ticket_id },
    button({ class: "link open", "aria-label": t("rqOpen", { name: tk.type_name, t: moment(tk.created_at) }) }, () => kit.goTo("xem-yeu-cau", tk.ticket_id),
      h("b", { text: tk.type_name })),
    h("span", { class: "badge " + badge(tk.status), text: t("st_" + tk.status) }),
    tk.overdue && h("span", { class: "badge failed", text: t("rqOverdue") }),
    h("span", { class: "meta", text: t("rqSent", { t: moment(tk.created_at) }) + " · " + tk.description })))
    : [h("li", { class: "muted", text: t("rqNone") })]),
  now.cursor && h("li", null, button({ class: "secondary" }, () => list(code, true), t("rqMore"))));
}

// -- a new request: the kind first; it says what else is needed

const field = (id, key, input, hint) => kit.h("div", { class: "field", "data-needs": input.dataset.needs },
  kit.h("label", { for: id, text: kit.t(key) }), input, hint && kit.h("small", { id: id + "-hint", class: "muted", text: hint }));

async function compose(code) {
  const { $, h, t, api, enc, fill, showError, setText, vnd, period } = kit;
  now = { view: "view-request-new", code, requestId: null };
  setText("request-new-title", t("rqNewTitle", { code }));
  const form = fill($("rq-form"), h("p", { class: "muted", role: "status", text: t("loading") }));
  let types, invoices;
  try {
    [types, invoices] = await Promise.all([api("GET", "v1/me/ticket-types"),
      api("GET", `v1/customers/${enc(code)}/invoices?status=all&limit=12`)]);
  } catch (e) { fill(form); return showError($("request-new-error"), e); }
  if (kit.state.view !== "view-request-new" || now.code !== code) return;
  now.types = types.types || [];
  const select = h("select", { id: "rq-type", name: "type", required: true, "aria-describedby": "rq-type-hint" },
    ...now.types.map((k) => h("option", { value: k.key, text: k.name })));
  select.onchange = needs;
  const input = (id, attrs) => h(attrs.tag || "input", Object.assign({ id, name: id }, attrs, { tag: null }));
  const geo = h("p", { id: "rq-geo", class: "muted", role: "status" });
  fill(form,
    field("rq-type", "rqType", select, " "),
    field("rq-desc", "rqDesc", input("rq-desc", { tag: "textarea", rows: "4", maxlength: "2000", required: true, "aria-describedby": "rq-desc-hint" }), t("rqDescHint")),
    field("rq-photo", "rqPhoto", input("rq-photo", { type: "file", accept: TYPES.join(","), multiple: true, "data-needs": "photo" })),
    h("fieldset", { class: "prefs", "data-needs": "position" }, h("legend", { text: t("rqWhere") }),
      kit.button({ type: "button", class: "secondary" }, locate, t("rqHere")), geo,
      field("rq-lat", "rqLat", input("rq-lat", { inputmode: "decimal", autocomplete: "off" })),
      field("rq-lng", "rqLng", input("rq-lng", { inputmode: "decimal", autocomplete: "off" }))),
    field("rq-residents", "rqResidents", input("rq-residents", { type: "number", min: "1", max: "50", inputmode: "numeric", "data-needs": "residents" })),
    field("rq-invoice", "rqInvoice", h("select", { id: "rq-invoice", name: "invoice_id", "data-needs": "invoice_id" },
      ...(invoices.invoices || []).map((i) => h("option", { value: i.invoice_id, text: `${t("period", { p: period(i.period) })} · ${vnd(i.total)}` })))),
    h("p", { id: "rq-progress", class: "note", role: "status" }),
    h("button", { type: "submit", class: "primary wide", text: t("rqSend") }));
  needs();
}

// Show the fields the chosen kind requires (and mark them required), hide the others.
function needs() {
  const { $, each, t } = kit, kind = now.types.find((k) => k.key === $("rq-type").value) || { requires: [] };
  each("#rq-form [data-needs]", (el) => {
    const wanted = kind.requires.includes(el.dataset.needs);
    if (el.classList.contains("field") || el.tagName === "FIELDSET") el.hidden = !wanted;
    else if (wanted) el.setAttribute("aria-required", "true"); else el.removeAttribute("aria-required");
  });
  $("rq-type-hint").textContent = t("rqSla", { h: kind.sla_hours });
}

function locate() {
  const { $, t } = kit, geo = $("rq-geo");
  if (!navigator.geolocation) { geo.textContent = t("rqNoGeo"); return; }
  geo.textContent = t("rqLocating");
  navigator.geolocation.getCurrentPosition((p) => {
    $("rq-lat").value = p.coords.latitude.toFixed(6);
    $("rq-lng").value = p.coords.longitude.toFixed(6);
    geo.textContent = t("rqLocated", { m: Math.round(p.coords.accuracy) });
  }, () => { geo.textContent = t("rqNoGeo"); $("rq-lat").focus(); }, { enableHighAccuracy: true, timeout: 15000 });
}

const fail = (message, id) => Object.assign(new Error(message), { field: id });

// The photo to S3 with the presigned form: its fields, then the file (S3 wants it last).
async function upload(code, file) {
  const { t, api } = kit;
  const start = await api("POST", "v1/me/photos", { body: { purpose: "ticket", customer_code: code, content_type: file.type } });
  const form = new FormData();
  Object.entries(start.upload.fields).forEach(([k, v]) => form.append(k, v));
  form.append("file", file);
  let resp;
  try {
    resp = await fetch(start.upload.url, { method: "POST", body: form, credentials: "omit", cache: "no-store" });
  } catch (e) { throw fail(t("rqUploadFailed"), "rq-photo"); }
  if (!resp.ok) throw fail(t("rqUploadFailed"), "rq-photo");
  return start.photo_id;
}

async function send() {
  const { $, t, api, showError, hideError, each } = kit, form = $("rq-form"), btn = form.querySelector("[type=submit]");
  const err = $("request-new-error"), progress = $("rq-progress"), code = now.code;
  const kind = now.types.find((k) => k.key === $("rq-type").value), wants = (r) => kind.requires.includes(r);
  const value = (id) => $(id).value.trim(), num = (id) => Number(value(id).replace(",", "."));
  hideError(err);
  each("#rq-form [aria-invalid]", (el) => el.removeAttribute("aria-invalid"));
  try {
    const files = wants("photo") ? [...$("rq-photo").files] : [];
    const missing = [["rq-desc", "rqDesc", !value("rq-desc")], ["rq-photo", "rqPhoto", wants("photo") && !files.length],
      ["rq-lat", "rqWhere", wants("position") && !(value("rq-lat") && value("rq-lng") && isFinite(num("rq-lat")) && isFinite(num("rq-lng")))],
      ["rq-residents", "rqResidents", wants("residents") && !value("rq-residents")],
      ["rq-invoice", "rqInvoice", wants("invoice_id") && !value("rq-invoice")]].filter((m) => m[2]);
    if (missing.length) throw fail(t("rqNeed", { f: missing.map((m) => t(m[1]).split(" (")[0].toLowerCase()).join(", ") }), missing[0][0]);
    const bad = files.find((f) => !TYPES.includes(f.type) || !f.size || f.size > MAX_BYTES);
    if (bad || files.length > MAX_PHOTOS) throw fail(t("rqBadPhoto", { name: bad ? bad.name : "" }), "rq-photo");
    btn.disabled = true;
    const body = { customer_code: code, type: kind.key, description: value("rq-desc"), photo_ids: [] };
    // One id for this request until it is made: sent again after a failure, no second ticket.
    now.requestId = now.requestId || "web-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
    body.request_id = now.requestId;
    for (const [i, file] of files.entries()) {
      progress.textContent = t("rqUploading", { i: i + 1, n: files.length });
      body.photo_ids.push(await upload(code, file));
    }
    if (wants("position")) Object.assign(body, { lat: num("rq-lat"), lng: num("rq-lng") });
    if (wants("residents")) body.residents = Number(value("rq-residents"));
    if (wants("invoice_id")) body.invoice_id = value("rq-invoice");
    progress.textContent = t("rqSending");
    const made = await api("POST", "v1/me/tickets", { body });
    now.requestId = null;
    kit.goTo("xem-yeu-cau", made.ticket_id);
  } catch (e) {
    progress.textContent = "";
    showError(err, e);
    const id = e.field && (e.field.startsWith("rq-") ? e.field : "rq-" + ({ photo_ids: "photo", invoice_id: "invoice", description: "desc" }[e.field] || e.field));
    if (id && $(id)) { $(id).setAttribute("aria-invalid", "true"); $(id).focus(); }
  }
  btn.disabled = false;
}

// -- one request

async function one(id) {
  const { $, showError, fill } = kit;
  if (!now || now.ticket !== id) fill($("rq-body"));
  now = { view: "view-request", ticket: id };
  try {
    const tk = await kit.api("GET", "v1/me/tickets/" + kit.enc(id));
    if (kit.state.view === "view-request" && now.ticket === id) draw(tk);
  } catch (e) { showError($("request-error"), e); }
}

const photos = (list, start) => !list.length ? null : kit.h("div", { class: "photos" }, ...list.map((p, i) =>
  kit.h("img", { src: /^https?:\/\//.test(p.url) ? p.url : "", alt: kit.t("rqPhotoAlt", { n: start + i + 1 }), loading: "lazy" })));

function event(ev) {
  const { h, t, moment } = kit;
  const what = ev.kind === "status" ? t("ev_status", { a: t("st_" + ev.status_from), b: t("st_" + ev.status_to) }) : t("ev_" + ev.kind);
  return h("li", { class: ev.by === "customer" ? "mine" : "reply", "data-by": ev.by },
    h("p", { class: "meta" }, h("b", { text: t("by_" + ev.by) }), " " + what + " · " + moment(ev.at)),
    ev.text && h("p", { class: "said", text: ev.text }), ev.kind !== "created" && photos(ev.photos || [], 0));
}

function draw(tk) {
  const { $, h, t, fill, facts, setText, moment, button, act } = kit, open = !["resolved", "rejected"].includes(tk.status);
  const post = async (what, body) => {
    const shown = await kit.api("POST", `v1/me/tickets/${kit.enc(tk.ticket_id)}/${what}`, { body });
    if (now.ticket === shown.ticket_id) draw(shown);
  };
  // A form whose submit button does `work` (disabled meanwhile, a failure in the view's alert).
  const form = (name, work, ...children) => {
    const f = h("form", { class: name, novalidate: true }, ...children);
    f.onsubmit = (e) => { e.preventDefault(); act(f.querySelector("[type=submit]"), work); };
    return f;
  };
  const say = form("say", () => post("messages", { text: $("rq-say").value.trim() }),
    h("label", { for: "rq-say", text: t("rqMessage") }), h("textarea", { id: "rq-say", rows: "3", maxlength: "2000", required: true }),
    h("button", { type: "submit", class: "secondary wide", text: t("rqMessageSend") }));
  const rate = form("rate", () => post("rating", {
    rating: Number($("rq-body").querySelector("[name=rating]:checked").value), comment: $("rq-comment").value.trim() || null
  }), h("fieldset", { class: "method" }, h("legend", { text: t("rqRate") }), ...[5, 4, 3, 2, 1].map((n) =>
    h("label", null, h("input", { type: "radio", name: "rating", value: String(n), checked: n === 5 }), " ", t("rqStars", { n })))),
  h("label", { for: "rq-comment", text: t("rqComment") }), h("textarea", { id: "rq-comment", rows: "2", maxlength: "500" }),
  h("button", { type: "submit", class: "primary wide", text: t("rqRateSend") }));
  setText("request-title", tk.type_name);
  fill($("rq-body"),
    facts([["rqCode", tk.customer_code], ["rqStatus", h("span", { class: "badge " + badge(tk.status), text: t("st_" + tk.status) })],
      ["rqAt", moment(tk.created_at)], ["rqDue", moment(tk.due_at) + (tk.overdue ? " · " + t("rqOverdue") : "")],
      ["rqClosed", tk.closed_at && moment(tk.closed_at)], ["rqReason", tk.reason], ["rqResidents", tk.residents],
      ["rqPos", tk.lat !== null && tk.lat !== undefined && `${tk.lat}, ${tk.lng}`], ["rqInv", tk.invoice_id]]),
    h("p", { class: "said", text: tk.description }), photos(tk.photos || [], 0),
    h("h2", { class: "sub", id: "rq-history", text: t("rqHistory") }),
    h("ol", { class: "history", "aria-labelledby": "rq-history" }, ...(tk.history || []).map(event)),
    button({ class: "link" }, () => one(tk.ticket_id), t("rqRefresh")),
    open ? say : tk.rating ? h("p", { class: "note", text: t("rqRated", { n: tk.rating }) }) : rate);
}

export function open(k, place, id) {
  kit = k;
  cards();
  const view = { "yeu-cau": "view-requests", "yeu-cau-moi": "view-request-new" }[place] || "view-request";
  k.show(view);
  if (view === "view-request") return one(id);
  const code = id || k.state.code;
  return view === "view-requests" ? list(code, false) : compose(code);
}

// Another language: the kinds' names and the statuses come in it from the API, so ask again.
export function relabel(k, view) {
  if (!now || now.view !== view) return;
  if (view === "view-request") one(now.ticket); else if (view === "view-requests") list(now.code, false); else compose(now.code);
}
