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
    /* Columns as wide as the rows shown need, measured as text (a canvas, so no layout of the page is
       forced per cell, which is what AG Grid's own autoSizeAllColumns does and what made pages slow); a
       text column whose content is wider than the cap (grid context maxTextColumnPx) wraps at that width,
       its rows growing (wrapText + autoHeight only where needed: measuring row heights is costly); then
       the columns fill the grid's width, or give up width by wrapping (columnWidths); what still does not
       fit scrolls inside the grid, never the page. Called on data, page and size changes
       (dashboard/components/tables.py). */
    let canvas = null;
    function textMeasurer(element) {
        canvas = canvas || document.createElement("canvas");
        const context = canvas.getContext("2d");
        const cell = element && element.querySelector(".ag-cell");
        const style = window.getComputedStyle(cell || element || document.body);
        context.font = style.font || (style.fontSize + " " + style.fontFamily);
        let padding = 26;  // Quartz theme's cell padding at --ag-spacing 6px, plus borders
        if (cell) {
            padding = (parseFloat(style.paddingLeft) || 0) + (parseFloat(style.paddingRight) || 0)
                + (parseFloat(style.borderLeftWidth) || 0) + (parseFloat(style.borderRightWidth) || 0) + 4;
        }
        return {width: (text) => context.measureText(text).width, padding: padding, fromCell: !!cell};
    }
    function rowsOnPage(api) {
        const count = api.getDisplayedRowCount();
        let first = 0;
        let last = count;
        if (api.getGridOption("pagination")) {
            const size = api.paginationGetPageSize();
            first = api.paginationGetCurrentPage() * size;
            last = Math.min(count, first + size);
        }
        const rows = [];
        for (let index = first; index < last; index += 1) {
            const node = api.getDisplayedRowAtIndex(index);
            if (node) { rows.push(node); }
        }
        return rows;
    }
    function cellText(api, node, column) {
        const definition = column.getColDef();
        // a row of a server-paged table's sample (plain data, see useRowSource), or a row node of the grid
        let value = node.__sample ? node.data[definition.field]
            : api.getCellValue({rowNode: node, colKey: column, useFormatter: true});
        if (value === null || value === undefined) { return ""; }
        if (definition.cellRenderer === "markdown") { value = markdownText(value); }
        return String(value);
    }
    /* Lines a text takes at a width (px) when wrapped between words. */
    function linesAt(text, width, measure) {
        let lines = 1;
        let used = 0;
        const space = measure.width(" ");
        text.split(/\s+/).forEach((word) => {
            const size = measure.width(word);
            if (used > 0 && used + space + size > width) { lines += 1; used = size; }
            else { used += (used > 0 ? space : 0) + size; }
        });
        return lines;
    }
    /* Server-paged tables (AG Grid's infinite row model, dashboard/callbacks/table_pages.py). The page's callback
       sends the rows' source: row count, the rows holding each column's longest values (columns are sized to every
       row, not only the page shown) and the first block. A new source drops the blocks held and starts again at the
       first page; the first block is answered here, every other block (another page, a sort, a filter) by the
       server through dash-ag-grid's datasource. */
    function useRowSource(api, source) {
        const original = api.__her2Datasource || api.getGridOption("datasource");
        if (!original) { return false; }
        api.__her2Datasource = original;
        api.__her2Source = source;
        const context = Object.assign({}, api.getGridOption("context") || {}, {sampleRows: source.sample || []});
        api.setGridOption("context", context);
        if (api.paginationGetCurrentPage && api.paginationGetCurrentPage() > 0) { api.paginationGoToFirstPage(); }
        api.setGridOption("datasource", {
            getRows(params) {
                const current = api.__her2Source || {};
                const first = current.first || [];
                const plain = !(params.sortModel || []).length && !Object.keys(params.filterModel || {}).length;
                if (plain && params.startRow === 0 && (params.endRow <= first.length || first.length === current.rowCount)) {
                    params.successCallback(first.slice(0, params.endRow), current.rowCount);
                    return;
                }
                original.getRows(params);
            },
        });
        return true;
    }
    /* The "Download CSV" button of a server-paged table: the server writes the file from the sort and filter
       shown (dashboard/callbacks/table_pages.py, through the table's export-request store). */
    function requestServerExport(info, clicks) {
        const grids = window.dash_ag_grid;
        const api = grids && grids.getApi ? grids.getApi(info.target) : null;
        if (!api || !window.dash_clientside || !window.dash_clientside.set_props) { return false; }
        const sortModel = api.getColumnState().filter((c) => c.sort)
            .sort((a, b) => (a.sortIndex || 0) - (b.sortIndex || 0)).map((c) => ({colId: c.colId, sort: c.sort}));
        window.dash_clientside.set_props({type: "table-export-request", table: info.target},
            {data: {sortModel: sortModel, filterModel: api.getFilterModel() || {}, clicks: clicks}});
        return true;
    }
    /* Wrapped text in a server-paged table (fixed row height): line height and the cell's top and bottom padding. */
    const WRAPPED_LINE_PX = 20;
    const WRAPPED_PADDING_PX = 8;
    /* Narrowest a wrapping text column is made to avoid scrolling sideways inside the grid (px). */
    const NARROWEST_WRAPPED_PX = 160;
    /* The columns' widths: as their content (text capped), then widened in proportion to fill the grid, or,
       when they need more than its width, text columns narrowed (their text wraps) down to
       NARROWEST_WRAPPED_PX before the grid scrolls sideways. */
    function columnWidths(natural, isText, minimum, cap, available, longestWord) {
        const keys = Object.keys(natural);
        const widths = {};
        keys.forEach((key) => { widths[key] = isText[key] ? Math.min(natural[key], Math.max(minimum[key], cap)) : natural[key]; });
        const total = keys.reduce((sum, key) => sum + widths[key], 0);
        if (available > total) {
            let left = available - total;
            keys.forEach((key, index) => {
                const extra = index === keys.length - 1 ? left : Math.floor((available - total) * widths[key] / total);
                widths[key] += extra;
                left -= extra;
            });
        } else if (available > 0 && total > available) {
            // never narrower than the column's longest word: text wraps between words, never inside one
            const floor = (key) => Math.max(minimum[key], NARROWEST_WRAPPED_PX, longestWord[key]);
            const shrinkable = keys.filter((key) => isText[key] && widths[key] > floor(key));
            const room = shrinkable.reduce((sum, key) => sum + widths[key] - floor(key), 0);
            const take = Math.min(total - available, room);
            shrinkable.forEach((key) => { widths[key] -= Math.ceil(take * (widths[key] - floor(key)) / room); });
        }
        return widths;
    }
    function fitColumns(params) {
        const api = params && params.api;
        if (!api || (api.isDestroyed && api.isDestroyed())) { return; }
        const columns = api.getAllDisplayedColumns();
        if (!columns.length) { return; }
        const cap = (api.getGridOption("context") || {}).maxTextColumnPx || 320;
        const measure = textMeasurer(params.element);
        const context = api.getGridOption("context") || {};
        const serverRows = !!context.serverRows;
        const rows = rowsOnPage(api);
        const measured = rows.concat((context.sampleRows || []).map((data) => ({data: data, __sample: true})));
        const natural = {};
        const isText = {};
        const minimum = {};
        const longestWord = {};
        columns.forEach((column) => {
            const definition = column.getColDef();
            let widest = 0;
            let word = 0;
            measured.forEach((node) => {
                if (!node.data) { return; }  // a row of a block not loaded yet
                const text = cellText(api, node, column);
                if (!text) { return; }
                const width = measure.width(text);
                widest = Math.max(widest, width);
                if (width > NARROWEST_WRAPPED_PX) {
                    text.split(/\s+/).forEach((part) => { word = Math.max(word, measure.width(part)); });
                }
            });
            const key = column.getColId();
            longestWord[key] = Math.ceil(word + measure.padding);
            minimum[key] = definition.minWidth || 0;
            natural[key] = Math.max(minimum[key], Math.ceil(widest + measure.padding));
            isText[key] = definition.cellDataType === "text";
        });
        const body = params.element && params.element.querySelector(".ag-root-wrapper");
        const widths = columnWidths(natural, isText, minimum, cap, body ? body.clientWidth : 0, longestWord);
        const wraps = {};
        Object.keys(widths).forEach((key) => { wraps[key] = isText[key] && natural[key] > widths[key]; });
        if (serverRows) {
            // The infinite row model has one row height for all rows: as tall as the longest wrapped text needs.
            let lines = 1;
            columns.forEach((column) => {
                const key = column.getColId();
                if (!wraps[key]) { return; }
                measured.forEach((node) => {
                    if (!node.data) { return; }
                    lines = Math.max(lines, linesAt(cellText(api, node, column), widths[key] - measure.padding, measure));
                });
            });
            const height = lines > 1 ? lines * WRAPPED_LINE_PX + 2 * WRAPPED_PADDING_PX : null;
            if (columns.some((column) => !!column.getColDef().wrapText !== wraps[column.getColId()])) {
                const style = {lineHeight: WRAPPED_LINE_PX + "px", paddingTop: WRAPPED_PADDING_PX + "px",
                               paddingBottom: WRAPPED_PADDING_PX + "px"};
                api.setGridOption("columnDefs", api.getColumnDefs().map((definition) => {
                    const key = definition.colId || definition.field;
                    if (!(key in wraps)) { return definition; }
                    return Object.assign({}, definition, {wrapText: wraps[key], autoHeight: false,
                                                          cellStyle: wraps[key] ? style : undefined});
                }));
            }
            if ((api.getGridOption("rowHeight") || null) !== height) { api.setGridOption("rowHeight", height); }
        } else if (columns.some((column) => !!column.getColDef().wrapText !== wraps[column.getColId()])) {
            // Only the wrapping columns' rows are measured for their height (autoHeight).
            const definitions = api.getColumnDefs().map((definition) => {
                const key = definition.colId || definition.field;
                if (!(key in wraps)) { return definition; }
                return Object.assign({}, definition, {wrapText: wraps[key], autoHeight: wraps[key]});
            });
            api.setGridOption("columnDefs", definitions);
        }
        // One layout of the columns (sizeColumnsToFit after setting widths would lay them out twice), and none
        // when every column already has its width (a server-paged table refits on every block it receives).
        const changed = columns.some((column) => Math.abs(column.getActualWidth() - widths[column.getColId()]) >= 1);
        if (changed) {
            api.setColumnWidths(Object.keys(widths).map((key) => ({key: key, newWidth: widths[key]})), true);
        }
        return measure.fromCell || !rows.length;  // false: measured before any cell was drawn (font guessed)
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
            let retries = 0;
            const fit = () => {
                if (pending) { return; }
                pending = true;
                window.requestAnimationFrame(() => window.setTimeout(() => {
                    pending = false;
                    if (fitColumns({api: api, element: element})) {
                        retries = 0;
                        // The rows the columns were last sized for: tests wait for it instead of sleeping.
                        element.dataset.her2Sized = String(api.getDisplayedRowCount());
                    }
                    else if (retries < 20) { retries += 1; fit(); }  // again once cells are drawn (a hidden grid: 20 tries)
                }, 0));
            };
            // a server-paged table's rows arrive block by block (modelUpdated)
            const serverRows = !!(api.getGridOption("context") || {}).serverRows;
            FIT_EVENTS.concat(serverRows ? ["modelUpdated"] : []).forEach((name) => api.addEventListener(name, fit));
            // The grid's height changes with its rows (autoHeight layout): refit on a change of width only.
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
    return {formatNumber: formatNumber, markdownText: markdownText, fitColumns: fitColumns, leaveGrid: leaveGrid,
            useRowSource: useRowSource, requestServerExport: requestServerExport};
})());
