/* The account's one-time-code flows, loaded on demand (issue 18): register with a customer code
   (#/dang-ky), with "Tra cứu mã khách hàng" (the code look-up) on that screen as the utility's guide
   says; forgot password (#/quen-mat-khau); link another code to the account (#/lien-ket). Each is two
   steps: the code, which sends a one-time code to the phone on file, then that code (and a password). */

export const STRINGS = {
    vi: {
      regTitle: "Đăng ký tài khoản",
      regIntro: "Tài khoản đăng nhập là mã khách hàng in trên hoá đơn. Mã xác thực được gửi đến số điện thoại đã đăng ký với Công ty.",
      sendOtp: "Gửi mã xác thực", otpLabel: "Mã xác thực (6 chữ số)", newPassword: "Mật khẩu mới",
      passwordHint: "Không dùng mật khẩu quá đơn giản hoặc có chứa mã khách hàng.",
      otpSent: "Đã gửi mã xác thực đến số {phone}; mã có hiệu lực {m} phút.", needOtp: "Vui lòng nhập mã xác thực gồm 6 chữ số.",
      regSubmit: "Đăng ký", otherCode: "Dùng mã khách hàng khác",
      lkTitle: "Tra cứu mã khách hàng", lkIntro: "Nhập số điện thoại đã đăng ký, hoặc số danh bộ và số nhà.",
      lkPhone: "Số điện thoại", lkOr: "hoặc", lkLedger: "Số danh bộ", lkHouse: "Số nhà", lkSubmit: "Tra cứu",
      lkNeed: "Vui lòng nhập số điện thoại, hoặc số danh bộ và số nhà.", lkFound: "Tìm thấy {n} mã khách hàng.",
      lkNone: "Không tìm thấy mã khách hàng nào. Vui lòng gọi tổng đài 02903 836 360.",
      lkUse: "Dùng mã này", lkUseAria: "Dùng mã {code} để đăng ký",
      fgTitle: "Quên mật khẩu", fgIntro: "Nhập mã khách hàng; mã xác thực được gửi đến số điện thoại đã đăng ký.",
      fgSubmit: "Đổi mật khẩu", fgDone: "Đã đổi mật khẩu. Vui lòng đăng nhập bằng mật khẩu mới.",
      lnTitle: "Liên kết thêm mã khách hàng",
      lnIntro: "Thêm mã của một nhà khác để xem và thanh toán hoá đơn bằng cùng tài khoản. Mã xác thực được gửi đến số điện thoại đăng ký của mã đó.",
      lnSubmit: "Liên kết", lnDone: "Đã liên kết mã {code}."
    },
    en: {
      regTitle: "Create an account",
      regIntro: "You log in with the customer code printed on your bill. A one-time code goes to the phone number the utility has on file.",
      sendOtp: "Send the one-time code", otpLabel: "One-time code (6 digits)", newPassword: "New password",
      passwordHint: "Not a very simple password, and not one containing your customer code.",
      otpSent: "A one-time code was sent to {phone}; it is valid for {m} minutes.", needOtp: "Enter the 6-digit one-time code.",
      regSubmit: "Create the account", otherCode: "Use another customer code",
      lkTitle: "Look up your customer code", lkIntro: "Enter the phone number on file, or the ledger number and house number.",
      lkPhone: "Phone number", lkOr: "or", lkLedger: "Ledger number", lkHouse: "House number", lkSubmit: "Look up",
      lkNeed: "Enter the phone number, or the ledger number and house number.", lkFound: "{n} customer codes found.",
      lkNone: "No customer code found. Please call the hotline 02903 836 360.",
      lkUse: "Use this code", lkUseAria: "Register with code {code}",
      fgTitle: "Forgot password", fgIntro: "Enter your customer code; a one-time code goes to the phone number on file.",
      fgSubmit: "Change the password", fgDone: "Your password was changed. Please log in with the new one.",
      lnTitle: "Link another customer code",
      lnIntro: "Add the code of another house to see and pay its bills with this account. The one-time code goes to that code's phone on file.",
      lnSubmit: "Link", lnDone: "Code {code} is linked."
    }
};

let kit, found = null;   // the look-up's last answer (redrawn in the other language)

// A labelled input: [label key, attributes, hint key].
function field(label, attrs, hint) {
  const { h } = kit;
  return h("div", { class: "field" }, h("label", { for: attrs.id, "data-i18n": label, text: kit.t(label) }),
    h("input", Object.assign(hint ? { "aria-describedby": attrs.id + "-hint" } : {}, attrs)),
    hint && h("small", { id: attrs.id + "-hint", class: "muted", "data-i18n": hint, text: kit.t(hint) }));
}

const codeInput = (id) => ({ id, inputmode: "numeric", autocomplete: "username", required: true, maxlength: "12" });
const otpInput = (id) => ({ id, inputmode: "numeric", autocomplete: "one-time-code", required: true, maxlength: "6" });

// The two steps of a flow `name` (register, forgot, link): `steps` {start, confirm (paths), secret (the
// password's body key, if any), submit (its button's text), done(answer, code)}.
function flow(name, title, back, intro, steps, ...extra) {
  const { $, h, t, section } = kit;
  const start = h("form", { id: name + "-start", novalidate: true },
    field("codeLabel", codeInput(name + "-code"), "codeHint"),
    h("button", { type: "submit", class: "primary", "data-i18n": "sendOtp", text: t("sendOtp") }));
  const again = h("button", { type: "button", class: "link", "data-i18n": "otherCode", text: t("otherCode") });
  const confirm = h("form", { id: name + "-confirm", novalidate: true, hidden: true },
    h("p", { id: name + "-sent", class: "note", role: "status" }),
    field("otpLabel", otpInput(name + "-otp")),
    steps.secret && field("newPassword", {
      id: name + "-password", type: "password", autocomplete: "new-password", required: true, maxlength: "128"
    }, "passwordHint"),
    h("button", { type: "submit", class: "primary", "data-i18n": steps.submit, text: t(steps.submit) }), again);
  section(name, title, back, h("p", { class: "muted", "data-i18n": intro, text: t(intro) }), start, ...extra, confirm);
  const input = (what) => $(`${name}-${what}`), err = $(name + "-error");
  const invalid = (what, message) => {
    const el = input(what === "customer_code" ? "code" : what === "new_password" || what === "password" ? "password" : what);
    if (message) kit.showError(err, message);
    if (el) { el.setAttribute("aria-invalid", "true"); el.focus(); }
  };
  const submit = (form, work) => form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    kit.act(form.querySelector("button[type=submit]"), async () => {
      try { await work(); } catch (e) { invalid(e.field || "", null); throw e; }
    });
  });
  submit(start, async () => {
    const code = input("code").value.trim();
    if (!/^\d{6,12}$/.test(code)) return invalid("code", t("needCode"));
    const sent = await kit.api("POST", steps.start, { body: { customer_code: code }, auth: steps.auth });
    start.hidden = true;
    extra.forEach((el) => { el.hidden = true; });
    confirm.hidden = false;
    confirm.dataset.code = code;
    kit.setText(name + "-sent", t("otpSent", { phone: sent.otp_sent_to, m: Math.round(sent.expires_in / 60) }));
    input("otp").focus();
  });
  submit(confirm, async () => {
    const code = confirm.dataset.code, otp = input("otp").value.trim(), secret = steps.secret && input("password");
    if (!/^\d{6}$/.test(otp)) return invalid("otp", t("needOtp"));
    if (secret && !secret.value) return invalid("password", t("needPassword"));
    const body = { customer_code: code, otp };
    if (secret) body[steps.secret] = secret.value;
    const answer = await kit.api("POST", steps.confirm, { body, auth: steps.auth });
    reset(name);
    steps.done(answer, code);
  });
  again.onclick = () => { reset(name); input("code").focus(); };
}

// Back to the first step, nothing typed kept (a one-time code, a password).
function reset(name) {
  const { $ } = kit;
  if (!$("view-" + name)) return;
  $("view-" + name).querySelectorAll("input").forEach((el) => { el.value = ""; el.removeAttribute("aria-invalid"); });
  $(name + "-start").hidden = false;
  $(name + "-confirm").hidden = true;
  $("view-" + name).querySelectorAll(".lookup").forEach((el) => { el.hidden = false; });
}

// "Tra cứu mã khách hàng": a phone, or a ledger number and a house number; a found code fills the form.
function lookup() {
  const { h, t } = kit;
  const form = h("form", { id: "lookup-form", novalidate: true },
    h("p", { class: "muted", "data-i18n": "lkIntro", text: t("lkIntro") }),
    field("lkPhone", { id: "lookup-phone", type: "tel", autocomplete: "tel", maxlength: "20" }),
    h("p", { class: "or", "data-i18n": "lkOr", text: t("lkOr") }),
    field("lkLedger", { id: "lookup-ledger", maxlength: "20" }),
    field("lkHouse", { id: "lookup-house", maxlength: "20" }),
    h("p", { id: "lookup-error", class: "alert", role: "alert", hidden: true }),
    h("button", { type: "submit", class: "secondary wide", "data-i18n": "lkSubmit", text: t("lkSubmit") }),
    h("p", { id: "lookup-status", role: "status" }),
    h("ul", { id: "lookup-results", class: "found" }));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const { $, api, act, showError } = kit, phone = $("lookup-phone").value.trim();
    const ledger = $("lookup-ledger").value.trim(), house = $("lookup-house").value.trim();
    const body = phone ? { phone } : ledger && house ? { ledger_no: ledger, house_no: house } : null;
    found = null;
    showFound();
    if (!body) { showError($("lookup-error"), t("lkNeed")); return $(phone || ledger ? "lookup-house" : "lookup-phone").focus(); }
    act(form.querySelector("button[type=submit]"), async () => {
      try {
        found = (await api("POST", "v1/auth/customer-code-lookup", { body, auth: false })).customers || [];
      } catch (e) { return showError($("lookup-error"), e); }
      showFound();
    });
  });
  return h("details", { class: "lookup" }, h("summary", { "data-i18n": "lkTitle", text: t("lkTitle") }), form);
}

function showFound() {
  const { $, h, t, fill, setText } = kit;
  if (!$("lookup-results")) return;
  setText("lookup-status", found === null ? "" : found.length ? t("lkFound", { n: found.length }) : t("lkNone"));
  fill($("lookup-results"), ...(found || []).map((c) => h("li", null,
    h("b", { text: `${c.customer_code} · ${c.name}` }), h("span", { class: "muted", text: c.address }),
    h("button", { class: "secondary", "aria-label": t("lkUseAria", { code: c.customer_code }),
      onclick: () => { $("register-code").value = c.customer_code; $("register-code").focus(); } }, t("lkUse")))));
}

const loggedIn = (answer) => {
  kit.setTokens(answer);
  Object.assign(kit.state, { me: null, code: null });
  kit.go("#/");
};

function build(place) {
  const { $, t, state, go } = kit;
  if (place === "dang-ky" && !$("view-register")) {
    flow("register", "regTitle", "toLogin", "regIntro",
      { start: "v1/auth/register", confirm: "v1/auth/register/confirm", secret: "password", submit: "regSubmit", auth: false, done: loggedIn },
      lookup());
  }
  if (place === "quen-mat-khau" && !$("view-forgot")) {
    flow("forgot", "fgTitle", "toLogin", "fgIntro", {
      start: "v1/auth/password/forgot", confirm: "v1/auth/password/reset", secret: "new_password", submit: "fgSubmit", auth: false,
      done: (answer, code) => {
        $("code").value = code;
        $("login-note").textContent = t("fgDone");
        $("login-note").hidden = false;
        go("#/");
      }
    });
  }
  if (place === "lien-ket" && !$("view-link")) {
    flow("link", "lnTitle", null, "lnIntro", {
      start: "v1/me/customers", confirm: "v1/me/customers/confirm", submit: "lnSubmit", auth: true,
      done: (answer, code) => {
        kit.setTokens(answer);   // an access token carrying the new code; the refresh token stays
        Object.assign(state, { me: null, code });
        go("#/");
      }
    });
  }
}

const VIEW = { "dang-ky": "register", "quen-mat-khau": "forgot", "lien-ket": "link" };

export function open(k, place) {
  kit = k;
  build(place);
  kit.show("view-" + VIEW[place]);
}

export function relabel(k, view) { if (view === "view-register") showFound(); }
