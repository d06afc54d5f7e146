/* Named downloads of tables (CSV) and figures (PNG / SVG): <page>_[<patient>_]<what>_<YYYY-MM-DD>.<ext>.
   dashboard/components/tables.py (export_filename) builds the same names in Python. */
window.her2Exports = (function () {
    function layoutProps(id) {
        const api = window.dash_component_api;
        const found = api && api.getLayout ? api.getLayout(id) : null;
        return found ? (found.props || found) : null;
    }
    function today() {
        const d = new Date();
        const pad = (n) => String(n).padStart(2, "0");
        return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
    }
    function safe(text) {
        return String(text).replace(/[^A-Za-z0-9.-]+/g, "-").replace(/^-+|-+$/g, "");
    }
    function patientOf(info) {
        if (!info.patient_source) { return ""; }
        const props = layoutProps(info.patient_source);
        const value = props ? (props.data !== undefined ? props.data : props.value) : null;
        return value === null || value === undefined ? "" : String(value);
    }
    function filename(info, extension) {
        const patient = patientOf(info);
        let what = info.what || "";
        if (patient) {
            what = what.replace(patient + "-", "").replace("-" + patient, "");
            if (what === patient) { what = ""; }
        }
        const parts = [info.page];
        if (patient) { parts.push(safe(patient)); }
        if (what) { parts.push(what); }
        parts.push(today());
        return parts.join("_") + "." + extension;
    }
    function cell(value) {
        if (value === null || value === undefined) { return ""; }
        const text = typeof value === "object" ? JSON.stringify(value) : String(value);
        return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
    }
    function csv(columns, rows) {
        const header = columns.map((c) => cell(Array.isArray(c.name) ? c.name.join(" ") : c.name));
        const lines = [header.join(",")];
        rows.forEach((row) => { lines.push(columns.map((c) => cell(row[c.id])).join(",")); });
        return lines.join("\r\n") + "\r\n";
    }
    function tableDownload(info) {
        const props = layoutProps(info.target) || {};
        const columns = props.columns || [];
        const rows = props.derived_virtual_data || props.data || [];
        return {content: csv(columns, rows), filename: filename(info, "csv"), type: "text/csv", base64: false};
    }
    return {filename: filename, csv: csv, tableDownload: tableDownload, layoutProps: layoutProps};
})();
