/* Payment-reminder settings (#/nhan-thong-bao), loaded on demand: for each linked code, the channels
   reminders go by, not receiving them at all, and the e-mail address; read with GET
   /v1/me/notifications, saved per code with PUT. */

export const STRINGS = {
    vi: {
      ntTitle: "Cài đặt nhắc thanh toán",
      ntIntro: "Chọn cách Công ty nhắc khi hoá đơn sắp đến hạn hoặc quá hạn; giờ nghỉ đêm không gửi tin.",
      ntCode: "Mã {code}", ch_sms: "Tin nhắn SMS", ch_zalo: "Zalo", ch_email: "Email",
      ch_push: "Ứng dụng Chăm sóc khách hàng (thông báo)", ntOptOut: "Không nhận nhắc thanh toán",
      ntEmail: "Địa chỉ email", ntSave: "Lưu", ntSaveAria: "Lưu cài đặt của mã {code}",
      ntSaved: "Đã lưu cài đặt của mã {code}.", ntNeedChannel: "Vui lòng chọn ít nhất một cách nhận nhắc."
    },
    en: {
      ntTitle: "Payment reminder settings",
      ntIntro: "Choose how the utility reminds you when a bill is nearly due or overdue; nothing is sent at night.",
      ntCode: "Code {code}", ch_sms: "SMS", ch_zalo: "Zalo", ch_email: "E-mail",
      ch_push: "The Customer care app (notifications)", ntOptOut: "No payment reminders",
      ntEmail: "E-mail address", ntSave: "Save", ntSaveAria: "Save the settings of code {code}",
      ntSaved: "The settings of code {code} are saved.", ntNeedChannel: "Choose at least one way to be reminded."
    }
};

const CHANNELS = ["sms", "zalo", "email", "push"];
let kit, current = null;   // the settings as read (redrawn in the other language)

function build() {
  const { $, h, t, section } = kit;
  if ($("view-notify")) return;
  section("notify", "ntTitle", null, h("p", { class: "muted", "data-i18n": "ntIntro", text: t("ntIntro") }),
    h("div", { id: "notify-body" }), h("p", { id: "notify-status", class: "note", role: "status" }));
}

const check = (id, label, checked) => kit.h("label", { class: "check" },
  kit.h("input", { type: "checkbox", id, checked }), " ", kit.h("span", { text: label }));

function draw() {
  const { $, h, t, fill } = kit;
  if (!current) return;
  fill($("notify-body"), ...current.map((c) => {
    const id = (what) => `nt-${c.customer_code}-${what}`;
    const form = h("form", { class: "prefs", novalidate: true, "data-code": c.customer_code },
      h("fieldset", null, h("legend", { text: t("ntCode", { code: c.customer_code }) }),
        ...CHANNELS.map((ch) => check(id(ch), t("ch_" + ch), c.channels.includes(ch))),
        check(id("opt-out"), t("ntOptOut"), c.opt_out),
        h("div", { class: "field" }, h("label", { for: id("address"), text: t("ntEmail") }),
          h("input", { id: id("address"), type: "email", autocomplete: "email", maxlength: "254" })),
        h("button", { type: "submit", class: "secondary", "aria-label": t("ntSaveAria", { code: c.customer_code }) }, t("ntSave"))));
    form.querySelector("input[type=email]").value = c.email || "";
    form.addEventListener("submit", (ev) => { ev.preventDefault(); save(form, c.customer_code); });
    return form;
  }));
}

function save(form, code) {
  const { $, t, api, act, setText } = kit, id = (what) => $(`nt-${code}-${what}`);
  setText("notify-status", "");
  act(form.querySelector("button"), async () => {
    const channels = CHANNELS.filter((ch) => id(ch).checked), email = id("address").value.trim();
    if (!channels.length) { id("sms").focus(); throw new Error(t("ntNeedChannel")); }
    const body = { customer_code: code, channels, opt_out: id("opt-out").checked };
    if (email) body.email = email;
    let now;
    try {
      now = await api("PUT", "v1/me/notifications", { body });
    } catch (e) { if (e.field === "email") id("address").focus(); throw e; }
    const saved = (now.customers || [])[0];
    if (saved) current = current.map((c) => (c.customer_code === code ? saved : c));
    setText("notify-status", t("ntSaved", { code }));
  });
}

export async function open(k) {
  kit = k;
  build();
  const { $, api, show, showError, fill, state } = kit;
  show("view-notify");
  kit.setText("notify-status", "");
  try {
    const answer = await api("GET", "v1/me/notifications");
    if (state.view !== "view-notify") return;
    current = answer.customers || [];
    draw();
  } catch (e) { fill($("notify-body")); showError($("notify-error"), e); }
}

export function relabel(k, view) { if (view === "view-notify") draw(); }
