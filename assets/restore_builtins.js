/* Runs after Dash's polyfill and before the Dash renderer and plotly.js: puts back the browser's own
 * parseInt, parseFloat and String.prototype.trim* that assets/native_builtins.js kept (why: see there).
 * The browser's functions are the standard ones; the polyfill's differ only on U+180E (no longer white
 * space since Unicode 6.3).  Without the kept list (the page head did not load it) nothing changes. */
(function () {
    'use strict';
    const kept = window.__her2Builtins;
    if (!Array.isArray(kept)) { return; }
    kept.forEach(function (entry) {
        const owner = entry[0], name = entry[1], own = entry[2];
        if (typeof own === 'function' && owner[name] !== own) {
            Object.defineProperty(owner, name, {value: own, writable: true, configurable: true, enumerable: false});
        }
    });
}());
