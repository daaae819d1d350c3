// CSV for German Excel: ";" as separator, CRLF, UTF-8 with BOM. Cells that a spreadsheet
// would read as a formula (= + - @, also after tab/CR) get a leading apostrophe.

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value) {
  let text = value === null || value === undefined ? "" : String(value);
  if (FORMULA_START.test(text)) text = "'" + text;
  if (/[";\r\n]/.test(text) || text !== text.trim()) text = '"' + text.replace(/"/g, '""') + '"';
  return text;
}

export function toCsv(header, rows) {
  return "\uFEFF" + [header, ...rows].map((row) => row.map(csvCell).join(";")).join("\r\n") + "\r\n";
}

/** Offers the text as a file download (a Blob URL: nothing leaves the browser). */
export function download(filename, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
