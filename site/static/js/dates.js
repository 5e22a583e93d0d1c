/* Dates as the server writes them, for scripts that insert them (live.js, teams-task.js).
 * Loaded on every page before them; no dependencies. */
(function (w, d) {
  "use strict";
  var Linli = (w.Linli = w.Linli || {});
  if (Linli.formatDate) return;

  /* Linli.formatDate(iso or Date, "DATETIME_FORMAT" | "DATE_FORMAT") -> text as the server
   * writes it: the language's Django format (the JavaScript catalog's get_format, which
   * core/formats sets) in the site's time zone (<meta name="time-zone">), not the browser's. */
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December"];
  var MONTHS_AP = ["Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.",
                   "Oct.", "Nov.", "Dec."];
  var MONTHS_3 = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                  "dec"];
  function tr(text, context) {
    var dj = w.django;
    if (!dj) return text;
    return context ? dj.pgettext(context, text) : dj.gettext(text);
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(date) {
    var meta = d.querySelector('meta[name="time-zone"]');
    var zone = (meta && meta.getAttribute("content")) || undefined, p = {};
    try {
      new Intl.DateTimeFormat("en-US", {
        timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
        hour: "numeric", minute: "numeric", second: "numeric"
      }).formatToParts(date).forEach(function (x) { p[x.type] = Number(x.value); });
      p.hour = p.hour % 24;
    } catch (x) {
      p = { year: date.getFullYear(), month: date.getMonth() + 1, day: date.getDate(),
            hour: date.getHours(), minute: date.getMinutes(), second: date.getSeconds() };
    }
    return p;
  }
  function formatDate(value, name) {
    var date = value instanceof Date ? value : new Date(value);
    if (!value || isNaN(date)) return "";
    var format = w.django && w.django.get_format ? w.django.get_format(name) : name;
    if (!format || format === name) format = name === "DATE_FORMAT" ? "Y-m-d" : "Y-m-d H:i";
    var c = clock(date), h12 = c.hour % 12 || 12;
    var ampm = function () { return c.hour < 12 ? tr("a.m.") : tr("p.m."); };
    var codes = {
      Y: function () { return String(c.year); },
      y: function () { return pad(c.year % 100); },
      n: function () { return String(c.month); },
      m: function () { return pad(c.month); },
      j: function () { return String(c.day); },
      d: function () { return pad(c.day); },
      N: function () { return tr(MONTHS_AP[c.month - 1], "abbrev. month"); },
      F: function () { return tr(MONTHS[c.month - 1]); },
      b: function () { return tr(MONTHS_3[c.month - 1]); },
      M: function () {
        var m = tr(MONTHS_3[c.month - 1]);
        return m.charAt(0).toUpperCase() + m.slice(1);
      },
      G: function () { return String(c.hour); },
      H: function () { return pad(c.hour); },
      g: function () { return String(h12); },
      h: function () { return pad(h12); },
      i: function () { return pad(c.minute); },
      s: function () { return pad(c.second); },
      a: ampm,
      A: function () { return c.hour < 12 ? tr("AM") : tr("PM"); },
      P: function () {
        if (c.minute === 0 && c.hour === 0) return tr("midnight");
        if (c.minute === 0 && c.hour === 12) return tr("noon");
        return (c.minute === 0 ? String(h12) : h12 + ":" + pad(c.minute)) + " " + ampm();
      }
    };
    var out = "";
    for (var k = 0; k < format.length; k++) {
      var ch = format.charAt(k);
      if (ch === "\\") out += format.charAt(++k);
      else out += codes[ch] ? codes[ch]() : ch;
    }
    return out;
  }
  Linli.formatDate = formatDate;
})(window, document);
