/* Named downloads of tables (CSV, from the AG Grid shown) and figures (PNG / SVG): <page>_[<patient>_]<what>_<YYYY-MM-DD>.<ext>.
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
    /* A spreadsheet opens a cell starting with = + - @ or a tab as a formula: text cells (never numbers)
       starting so are written with a leading apostrophe (OWASP "CSV injection"). */
    function cellText(value) {
        if (value === null || value === undefined) { return ""; }
        if (typeof value === "number") { return Number.isFinite(value) ? String(value) : ""; }
        const text = typeof value === "object" ? JSON.stringify(value) : String(value);
        return /^[=+\-@\t\r]/.test(text) && Number.isNaN(Number(text)) ? "'" + text : text;
    }
    function quoted(text) {
        return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
    }
    function csv(columns, rows) {
        const lines = [columns.map((c) => quoted(cellText(c.name))).join(",")];
        rows.forEach((row) => { lines.push(columns.map((c) => quoted(cellText(row[c.id]))).join(",")); });
        return lines.join("\r\n") + "\r\n";
    }
    /* The grid's rows as shown (sorted and filtered), every page, exact values (not the shown format);
       Markdown link cells as their text. */
    function gridRows(info) {
        const grids = window.dash_ag_grid;
        const api = grids && grids.getApi ? grids.getApi(info.target) : null;
        const markdownText = (window.dashAgGridFunctions || {}).markdownText || ((v) => v);
        const markdown = new Set(info.markdown || []);
        if (!api) {
            const props = layoutProps(info.target) || {};
            const columns = (props.columnDefs || []).map((c) => ({id: c.field, name: c.headerName || c.field}));
            return {columns: columns, rows: props.rowData || []};
        }
        const columns = api.getAllDisplayedColumns().map((column) => {
            const def = column.getColDef();
            return {id: def.field, name: def.headerName || def.field};
        });
        const rows = [];
        api.forEachNodeAfterFilterAndSort((node) => {
            const row = {};
            columns.forEach((c) => {
                const value = node.data ? node.data[c.id] : null;
                row[c.id] = markdown.has(c.id) ? markdownText(value) : value;
            });
            rows.push(row);
        });
        return {columns: columns, rows: rows};
    }
    function tableDownload(info) {
        const table = gridRows(info);
        return {content: csv(table.columns, table.rows), filename: filename(info, "csv"), type: "text/csv",
                base64: false};
    }
    return {filename: filename, csv: csv, tableDownload: tableDownload, layoutProps: layoutProps};
})();
