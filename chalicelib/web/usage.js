/* The consumption history (issue 18), loaded on demand: #/tieu-thu/<code> (the last 12 or 24 billed
   periods of a linked code) and chart(), which the invoice detail draws from its own `consumption`.
   A bar chart drawn by hand in SVG (no library): hidden from screen readers, which read the same
   figures in a visually hidden table, and the average in the caption everyone sees. */

export const STRINGS = {
    vi: {
      usageIntro: "Lượng nước (m³) của các kỳ đã lập hoá đơn, kỳ cũ trước; đường gạch là mức trung bình.",
      usageShow: "Số kỳ hiển thị", usageN: "{n} kỳ", usageNone: "Chưa có hoá đơn nào.",
      usageAvg: "Trung bình {m3} m³ và {amount} mỗi kỳ, trong {n} kỳ.",
      usageTable: "Lượng nước và tiền nước theo kỳ", usagePeriod: "Kỳ", usageM3: "Tiêu thụ (m³)",
      usageAmount: "Tiền nước", usageMean: "Trung bình", usageAvgMark: "TB {m3}"
    },
    en: {
      usageIntro: "Water (m³) of the billed periods, oldest first; the dashed line is the average.",
      usageShow: "Periods shown", usageN: "{n} periods", usageNone: "No bills yet.",
      usageAvg: "On average {m3} m³ and {amount} a period, over {n} periods.",
      usageTable: "Water used and billed by period", usagePeriod: "Period", usageM3: "Used (m³)",
      usageAmount: "Amount", usageMean: "Average", usageAvgMark: "avg {m3}"
    }
};

const NS = "http://www.w3.org/2000/svg", SLOT = 26, BAR = 18, TOP = 16, PLOT = 112, FOOT = 30;
let kit, shown = null;   // the view's history, and how many periods it asked for

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  Object.entries(attrs).forEach(([k, v]) => el.setAttribute(k, v));
  el.append(...children);
  return el;
}

// The chart of `history` ({periods: [{period, m3, amount}], average_m3, average_amount}) as a <figure>:
// the bars (the last one, the newest period, marked), the average line, the caption and the table.
export function chart(k, history, labelledby) {
  const { h, t, num, vnd, period, row } = k;
  const points = history.periods || [], n = points.length;
  const avg = history.average_m3, top = Math.max(1, avg || 0, ...points.map((p) => p.m3));
  const y = (m3) => TOP + PLOT - Math.round((m3 / top) * PLOT), width = n * SLOT + 8, height = TOP + PLOT + FOOT;
  const drawing = svg("svg", {
    class: "bars", viewBox: `0 0 ${width} ${height}`, width, height, "aria-hidden": "true", focusable: "false"
  });
  points.forEach((p, i) => {
    const x = 4 + i * SLOT + (SLOT - BAR) / 2, mid = x + BAR / 2, [year, month] = p.period.split("-");
    const first = i === 0 || !points[i - 1].period.startsWith(year);
    drawing.append(
      svg("rect", { x, y: y(p.m3), width: BAR, height: Math.max(1, TOP + PLOT - y(p.m3)), class: i === n - 1 ? "now" : "" }),
      svg("text", { x: mid, y: y(p.m3) - 3, class: "val" }, String(p.m3)),
      svg("text", { x: mid, y: TOP + PLOT + 12 }, month),
      first ? svg("text", { x: mid, y: TOP + PLOT + 25, class: "year" }, year) : "");
  });
  if (avg !== null && avg !== undefined) {
    drawing.append(svg("line", { x1: 0, x2: width, y1: y(avg), y2: y(avg), class: "avg" }),
      svg("text", { x: width - 2, y: y(avg) - 3, class: "avg-mark" }, t("usageAvgMark", { m3: num(avg) })));
  }
  const caption = t("usageAvg", { m3: num(avg), amount: vnd(history.average_amount), n });
  return h("figure", { class: "chart", "aria-labelledby": labelledby },
    h("div", { class: "plot" }, drawing),
    h("figcaption", { class: "muted", text: caption }),
    h("div", { class: "sr-only" }, h("table", null,
      h("caption", { text: t("usageTable") }),
      h("thead", null, row("th", [[t("usagePeriod")], [t("usageM3")], [t("usageAmount")]])),
      h("tbody", null, ...points.map((p) => row("td", [[period(p.period)], [String(p.m3)], [vnd(p.amount)]]))),
      h("tfoot", null, row("td", [[t("usageMean")], [num(avg)], [vnd(history.average_amount)]])))));
}

function build() {
  const { $, h, section } = kit;
  if ($("view-usage")) return;
  const sizes = h("div", { class: "choice", role: "group", "aria-labelledby": "usage-show" },
    h("span", { id: "usage-show", class: "muted", "data-i18n": "usageShow" }),
    ...[12, 24].map((n) => h("button", { class: "secondary", "data-periods": String(n), onclick: () => load(n) })));
  section("usage", null, null, h("p", { class: "muted", "data-i18n": "usageIntro" }), sizes,
    h("div", { id: "usage-body", "aria-live": "polite" }));
}

async function load(n) {
  const { $, h, t, api, enc, fill, showError, hideError, state } = kit;
  const code = shown.code;
  shown.n = n;
  labels();
  hideError($("usage-error"));
  fill($("usage-body"), h("p", { class: "muted", role: "status", text: t("loading") }));
  try {
    const history = await api("GET", `v1/customers/${enc(code)}/consumption?periods=${n}`);
    if (state.view !== "view-usage" || shown.code !== code || shown.n !== n) return;
    shown.history = history;
    draw();
  } catch (e) { fill($("usage-body")); showError($("usage-error"), e); }
}

function labels() {
  const { $, t, setText, each } = kit;
  setText("usage-title", t("usageOf", { code: shown.code }));
  each("#view-usage [data-periods]", (b) => {
    b.textContent = t("usageN", { n: b.dataset.periods });
    b.setAttribute("aria-pressed", String(Number(b.dataset.periods) === shown.n));
  });
  return $("usage-body");
}

function draw() {
  const { $, h, t, fill } = kit, history = shown && shown.history;
  if (!history) return;
  fill($("usage-body"), history.periods.length ? chart(kit, history, "usage-title") : h("p", { class: "muted", text: t("usageNone") }));
}

export function open(k, place, code) {
  kit = k;
  build();
  k.show("view-usage");
  shown = { code: code || k.state.code, n: 12, history: null };
  load(12);
}

export function relabel(k, view) { if (view === "view-usage" && shown) { labels(); draw(); } }
