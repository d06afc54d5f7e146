/* Loaded first, in the page head, before Dash's polyfill (dashboard/server.py adds it; it is kept out of
 * the automatic asset list).  Keeps the browser's own string-trimming and number-parsing functions.
 *
 * Dash ships @babel/polyfill 7.12 (core-js 2), which replaces parseInt, parseFloat and
 * String.prototype.trim* in every current browser: it counts U+180E as white space, as Unicode did before
 * version 6.3, finds the browser's functions "wrong" and puts slower JavaScript ones in their place.
 * plotly.js parses every colour of every drawn point with them (0.1-0.2 s per draw of a large figure).
 * assets/restore_builtins.js, which runs after the polyfill, puts the browser's own back.
 */
(function () {
    'use strict';
    if (window.__her2Builtins) { return; }
    window.__her2Builtins = [
        [window, 'parseInt', window.parseInt],
        [window, 'parseFloat', window.parseFloat],
        [Number, 'parseInt', Number.parseInt],
        [Number, 'parseFloat', Number.parseFloat],
        [String.prototype, 'trim', String.prototype.trim],
        [String.prototype, 'trimStart', String.prototype.trimStart],
        [String.prototype, 'trimEnd', String.prototype.trimEnd],
        [String.prototype, 'trimLeft', String.prototype.trimLeft],
        [String.prototype, 'trimRight', String.prototype.trimRight],
    ];
}());
