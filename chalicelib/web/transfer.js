/* Paying by bank transfer (VietQR), loaded on demand: #/chuyen-khoan/<invoice id> (reference TH…) or
   #/chuyen-khoan-ma/<code> (TN…: the code's open invoices). `kit` is what app.js lends its views. */

export const STRINGS = {
    vi: {
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
      nothingToPay: "Không còn khoản nào phải thanh toán.", transferOff: "Chưa có dịch vụ chuyển khoản bằng mã VietQR."
    },
    en: {
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
      nothingToPay: "Nothing is left to pay.", transferOff: "Bank transfer by VietQR is not offered."
    }
};

let kit;

function build() {
  const { $, h, section } = kit;
  if ($("view-transfer")) return;
  section("transfer", "transferTitle", null, h("div", { id: "transfer-body", hidden: true },
    h("p", { class: "amount", id: "transfer-amount" }),
    h("p", { id: "transfer-scope", class: "muted" }),
    h("figure", { class: "qr" }, h("img", { id: "vietqr", alt: "" }), h("figcaption", { "data-i18n": "vietqrHelp" })),
    h("h2", { class: "sub", id: "transfer-typed", "data-i18n": "transferTyped" }),
    h("dl", { id: "transfer-facts", class: "facts transfer", "aria-labelledby": "transfer-typed" }),
    h("p", { class: "muted", "data-i18n": "transferNote" }),
    h("p", { id: "copy-status", class: "muted", role: "status", "aria-live": "polite" })));
}

export async function open(k, place, id) {
  kit = k;
  build();
  const { $, t, show, setText, api, state, period, invoicePath, vietqrPath, canTransfer, showQr, showError } = kit;
  const kind = place === "chuyen-khoan" ? "invoice" : "account";
  show("view-transfer");
  setText("copy-status", "");
  const where = kind + "/" + id;
  if (state.transfer && state.transfer.place === where) renderTransfer();
  else { state.transfer = null; $("transfer-body").hidden = true; }
  try {
    let got;   // the transfer, and what it pays (a text key and its values)
    if (kind === "invoice") {
      const inv = state.invoice = await api("GET", invoicePath(id));
      got = { place: where, tr: inv.transfer, scope: ["transferOne", { p: period(inv.period), code: inv.customer_code }] };
    } else {
      const tr = await api("GET", vietqrPath(id));
      got = { place: where, tr, scope: ["transferAll", { n: (tr.invoice_ids || []).length, code: tr.customer_code }] };
    }
    if (state.view !== "view-transfer") return;
    state.transfer = got;
    if (!canTransfer(got.tr)) throw new Error(t(got.tr && !got.tr.bank ? "transferOff" : "nothingToPay"));
    renderTransfer();
    showQr($("vietqr"), got.tr.png_url, () => state.transfer === got);
  } catch (e) { $("transfer-body").hidden = true; showError($("transfer-error"), e); }
}

function renderTransfer() {
  const { $, h, t, button, clear, facts, setText, vnd, state, canTransfer } = kit;
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
  const { h, t, setText } = kit;
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

export function relabel(k, view) { if (view === "view-transfer") renderTransfer(); }
