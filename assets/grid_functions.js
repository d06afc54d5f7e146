/* Functions the tables' AG Grid options name ({"function": "formatNumber(params.value, '.3r')"}):
   dash-ag-grid evaluates those strings with its own expression parser against this object, so no
   code is built from strings (the Content-Security-Policy forbids eval). dashboard/components/tables.py. */
window.dashAgGridFunctions = Object.assign(window.dashAgGridFunctions || {}, (function () {
    /* A number through a d3-format formatter (dash-ag-grid passes d3.format); missing -> empty cell. */
    function formatNumber(value, format) {
        if (value === null || value === undefined || value === "" || Number.isNaN(value)) { return ""; }
        return typeof value === "number" ? format(value) : String(value);
    }
    /* The text of a Markdown link cell, "[P007](/patient/P007)" -> "P007" (quick filter, CSV). */
    function markdownText(value) {
        if (value === null || value === undefined) { return ""; }
        const match = /^\[((?:\\.|[^\]\\])*)\]\([^)]*\)$/.exec(String(value));
        return match ? match[1].replace(/\\(.)/g, "$1") : String(value);
    }
    /* Columns as wide as the rows shown need (long text wraps at the column's maxWidth), then widened
       together to fill the grid when they need less than its width; wider content scrolls inside the
       grid, never the page. Called on data, page and size changes (dashboard/components/tables.py). */
    function fitColumns(params) {
        const api = params && params.api;
        if (!api || (api.isDestroyed && api.isDestroyed())) { return; }
        api.autoSizeAllColumns(true);  // cells only: a long header wraps instead of widening its column
        const limits = api.getAllDisplayedColumns().map((column) => ({
            key: column.getColId(), minWidth: column.getActualWidth(),
        }));
        api.sizeColumnsToFit({columnLimits: limits});
    }
    /* Tab and Shift+Tab leave the grid for the next or previous control on the page. */
    function leaveGrid() { return false; }
    /* Every table of the app (class her2-grid): fitted once its grid is ready, and again after new
       rows, another page, a sort or filter, or a change of width. Listeners are added here rather than
       through the grid's eventListeners prop, which misses rows that arrive before the grid is ready. */
    const FIT_EVENTS = ["firstDataRendered", "rowDataUpdated", "paginationChanged", "filterChanged"];
    function watchGrid(element, attempt) {
        const grids = window.dash_ag_grid;
        if (!element.id || !grids || !grids.getApiAsync) { return; }
        if (!attempt && element.dataset.her2Fitted) { return; }
        element.dataset.her2Fitted = "1";
        grids.getApiAsync(element.id).then((api) => {
            // A grid re-created under the same id may first resolve to its destroyed predecessor.
            if ((api.isDestroyed && api.isDestroyed()) || api.__her2Fitted) {
                if (!api.__her2Fitted && (attempt || 0) < 50 && element.isConnected) {
                    window.setTimeout(() => watchGrid(element, (attempt || 0) + 1), 100);
                }
                return;
            }
            api.__her2Fitted = true;
            // After the event the new rows are not drawn yet (sizing measures drawn cells): fit on the next
            // frame, once per burst of events.
            let pending = false;
            const fit = () => {
                if (pending) { return; }
                pending = true;
                window.requestAnimationFrame(() => window.setTimeout(() => {
                    pending = false;
                    fitColumns({api: api});
                }, 0));
            };
            FIT_EVENTS.forEach((name) => api.addEventListener(name, fit));
            // The grid's height changes with its rows (autoHeight layout): refit on a change of width only,
            // each refit measures every drawn cell.
            let width = element.clientWidth;
            api.addEventListener("gridSizeChanged", () => {
                if (element.clientWidth !== width) { width = element.clientWidth; fit(); }
            });
            fit();
        }).catch(() => { element.dataset.her2Fitted = ""; });
    }
    function watchAll() { document.querySelectorAll(".her2-grid[id]").forEach((element) => watchGrid(element, 0)); }
    function start() {
        watchAll();
        let queued = false;
        new MutationObserver(() => {
            if (queued) { return; }
            queued = true;
            window.requestAnimationFrame(() => { queued = false; watchAll(); });
        }).observe(document.body, {childList: true, subtree: true});
    }
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
    else { start(); }
    return {formatNumber: formatNumber, markdownText: markdownText, fitColumns: fitColumns, leaveGrid: leaveGrid};
})());
