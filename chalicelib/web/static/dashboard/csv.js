// CSV for German Excel: ";" as separator, CRLF, UTF-8 with BOM. Every cell is quoted, so
// no reader splits it at a "," or ";" inside it. A spreadsheet or a naive importer still
// reads "= + - @ tab CR" as the start of a formula at the start of a cell, and a comma-
// locale one also after a "," or ";" that it mistakes for a separator: each such
// character gets an apostrophe in front of it (OWASP "CSV injection").

const FORMULA = "=+-@\t\r";
const SEPARATOR = ",;\r\n";

export function neutralise(text) {
  let out = "";
  let atStart = true;
  for (const char of text) {
    if (atStart && FORMULA.includes(char)) out += "'";
    out += char;
    atStart = SEPARATOR.includes(char);
  }
  return out;
}

export function csvCell(value) {
  const text = value === null || value === undefined ? "" : String(value);
  return '"' + neutralise(text).replace(/"/g, '""') + '"';
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
