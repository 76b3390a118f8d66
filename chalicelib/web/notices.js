/* Water-cut notices (issue 18), loaded on demand at #/thong-bao, without login too: the public board
   (GET /v1/public/water-cuts: where and when, never whom), optionally of one ward; logged in, first the
   notices that affect the caller's own codes (GET /v1/me/water-cuts). */

export const STRINGS = {
    vi: {
      wcTitle: "Thông báo tạm ngưng cấp nước", wcMine: "Ảnh hưởng đến mã của bạn", wcBoard: "Tất cả thông báo",
      wcWard: "Phường, xã (để trống: tất cả)", wcFilter: "Xem", wcNone: "Hiện không có thông báo tạm ngưng cấp nước nào.",
      wcPlanned: "Theo kế hoạch", wcEmergency: "Khẩn cấp", wcNow: "Đang ngưng cấp nước", wcBack: "Đã có nước lại lúc {t}",
      wcWhen: "Từ {a} đến {b}", wcWhere: "Khu vực: {w}", wcCodes: "Mã khách hàng: {c}"
    },
    en: {
      wcTitle: "Water supply interruptions", wcMine: "Affecting your codes", wcBoard: "All notices",
      wcWard: "Ward or commune (empty: all)", wcFilter: "Show", wcNone: "No water supply interruption is announced.",
      wcPlanned: "Planned", wcEmergency: "Emergency", wcNow: "Water is off now", wcBack: "Water back at {t}",
      wcWhen: "From {a} to {b}", wcWhere: "Area: {w}", wcCodes: "Customer codes: {c}"
    }
};

let kit, shown = { mine: null, board: null };

function build() {
  const { $, h, t, section, session } = kit;
  if ($("view-notices")) return;
  const ward = h("input", { id: "wc-ward", maxlength: "60", autocomplete: "off" });
  const form = h("form", { class: "choice", role: "search", novalidate: true },
    h("label", { for: "wc-ward", "data-i18n": "wcWard", text: t("wcWard") }), ward,
    h("button", { type: "submit", class: "secondary", "data-i18n": "wcFilter", text: t("wcFilter") }));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  section("notices", "wcTitle", session.refresh ? null : "toLogin", h("div", { id: "wc-mine" }),
    h("h2", { class: "sub", id: "wc-board-title", "data-i18n": "wcBoard", text: t("wcBoard") }), form,
    h("ul", { id: "wc-board", class: "notices", "aria-labelledby": "wc-board-title", "aria-live": "polite" }));
}

// One notice: its kind, whether the water is off now (or back), when, where, and (mine) which codes.
function notice(n) {
  const { h, t, moment } = kit;
  return h("li", { class: "notice " + n.kind, "data-notice": n.notice_id },
    h("p", null, h("span", { class: "badge " + (n.kind === "emergency" ? "failed" : "unpaid"), text: t(n.kind === "emergency" ? "wcEmergency" : "wcPlanned") }),
      n.current && " ", n.current && h("b", { text: t("wcNow") })),
    h("p", { class: "reason", text: n.reason }),
    h("p", { text: t("wcWhen", { a: moment(n.starts_at), b: moment(n.ends_at) }) }),
    (n.wards || []).length || n.area_note ? h("p", { class: "muted", text: t("wcWhere", { w: [...(n.wards || []), n.area_note].filter(Boolean).join("; ") }) }) : null,
    n.customer_codes && h("p", { class: "muted", text: t("wcCodes", { c: n.customer_codes.join(", ") }) }),
    n.restored_at && h("p", { class: "note", text: t("wcBack", { t: moment(n.restored_at) }) }));
}

function draw() {
  const { $, h, t, fill } = kit;
  const mine = shown.mine || [];
  fill($("wc-mine"), ...(mine.length ? [h("h2", { class: "sub", id: "wc-mine-title", text: t("wcMine") }),
    h("ul", { class: "notices", "aria-labelledby": "wc-mine-title" }, ...mine.map(notice))] : []));
  if (shown.board) {
    fill($("wc-board"), ...(shown.board.length ? shown.board.map(notice) : [h("li", { class: "muted", text: t("wcNone") })]));
  }
}

async function load() {
  const { $, api, enc, showError, session, state } = kit, ward = $("wc-ward").value.trim();
  try {
    const [board, mine] = await Promise.all([
      api("GET", "v1/public/water-cuts" + (ward ? "?ward=" + enc(ward) : ""), { auth: false }),
      session.refresh ? api("GET", "v1/me/water-cuts") : null]);
    if (state.view !== "view-notices") return;
    shown = { board: board.water_cuts || [], mine: mine && mine.water_cuts };
    draw();
  } catch (e) { showError($("notices-error"), e); }
}

export function open(k) {
  kit = k;
  build();
  k.show("view-notices");
  load();
}

export function relabel(k, view) { if (view === "view-notices") draw(); }
