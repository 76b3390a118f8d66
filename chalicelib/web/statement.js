/* The account statement (sổ theo dõi công nợ) at #/so-cong-no/<code>: a view app.js loads on demand
   (its VIEWS); `kit` is what app.js lends its views. A positive balance is owed, a negative one credit. */

export const STRINGS = {
    vi: {
      stOwes: "Còn phải trả {a}", stInCredit: "Đang có tiền thừa {a}", stSettled: "Không còn nợ",
      stCredit: "Tiền thừa trên tài khoản", stOpenSum: "Còn nợ trên hoá đơn", stOpenTitle: "Hoá đơn còn nợ",
      stNoOpen: "Không còn hoá đơn nợ.", stEntries: "Các khoản phát sinh", stNone: "Chưa có phát sinh nào.",
      stDate: "Ngày", stDesc: "Nội dung", stAmount: "Phát sinh", stBalance: "Số dư", stPeriod: "Kỳ",
      stPaid: "Đã trả", stLeft: "Còn nợ",
      stNote: "Số dư dương là số tiền còn phải trả; số dư âm là tiền thừa, được trừ vào hoá đơn kỳ sau.",
      csv: "Tải file CSV (Excel)"
    },
    en: {
      stOwes: "You owe {a}", stInCredit: "In credit: {a}", stSettled: "Nothing owed",
      stCredit: "Credit on the account", stOpenSum: "Open on bills", stOpenTitle: "Bills still open",
      stNoOpen: "No open bills.", stEntries: "Entries", stNone: "No entries yet.",
      stDate: "Date", stDesc: "Description", stAmount: "Amount", stBalance: "Balance", stPeriod: "Period",
      stPaid: "Paid", stLeft: "Open",
      stNote: "A positive balance is what you owe; a negative one is credit, taken off your next bill.",
      csv: "Download CSV (Excel)"
    }
};

let kit, statement = null;

// A table under its heading, scrolling sideways on a phone.
function grid(id, title, heads, rows, empty) {
  const { h, row, t } = kit;
  const heading = h("h2", { class: "sub", id, text: title });
  if (!rows.length) return [heading, h("p", { class: "muted", text: empty })];
  return [heading, h("div", { class: "scroll", tabindex: "0", role: "region", "aria-labelledby": id },
    h("table", { class: "lines", "aria-labelledby": id },
      h("thead", null, row("th", heads.map((key, i) => [t(key), /num/.test(rows[0][i][1] || "") && "num"]))),
      h("tbody", null, ...rows.map((r) => row("td", r)))))];
}

function build() {
  const { $, h, section, download, enc } = kit;
  if ($("view-statement")) return;
  const csv = h("button", { id: "statement-csv", class: "secondary wide", hidden: true, "data-i18n": "csv" });
  csv.onclick = () => {
    const code = statement && statement.customer_code;
    if (code) download(csv, "v1/me/account?format=csv&customer_code=" + enc(code), "text/csv", `so-cong-no-${code}.csv`);
  };
  section("statement", null, null, h("div", { id: "statement-body" }), csv);
}

export async function open(k, place, code) {
  kit = k;
  build();
  const { $, h, t, show, setText, fill, clear, api, enc, showError, state, facts, vnd, period, day } = kit;
  show("view-statement");
  setText("statement-title", t("stOpen", { code }));
  $("statement-csv").hidden = true;
  statement = null;
  const body = fill($("statement-body"), h("p", { class: "muted", role: "status", text: t("loading") }));
  let s;
  try {
    s = await api("GET", "v1/me/account?customer_code=" + enc(code));
  } catch (e) { clear(body); return showError($("statement-error"), e); }
  if (state.view !== "view-statement" || s.customer_code !== code) return;
  statement = s;
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

// Its descriptions come in the language asked for: ask again.
export function relabel(k, view) { if (view === "view-statement") k.route(); }
