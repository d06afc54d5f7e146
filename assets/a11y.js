/* Accessibility fixes for Dash 4 components that do not expose these props (found by axe-core,
   tests/dashboard/test_accessibility.py).  Re-applied whenever the page changes; each change is made
   only when needed, so the observer never loops.
   - Radio and checkbox lists are native inputs: the group is a radiogroup/group named by its legend or
     label, and the options lose the listbox/option roles that would nest the inputs in "options".
   - The dropdown's hidden focus proxy is taken out of the Tab order (aria-hidden must not be focusable).
   - Slider thumbs and their number boxes are named by the slider's label. */
(function () {
    "use strict";
    function setAttr(el, name, value) {
        if (el.getAttribute(name) !== value) { el.setAttribute(name, value); }
    }
    function dropAttr(el, name) {
        if (el.hasAttribute(name)) { el.removeAttribute(name); }
    }
    function groupName(el) {
        const fieldset = el.closest("fieldset");
        const legend = fieldset && fieldset.querySelector("legend");
        if (legend && legend.textContent.trim()) { return legend.textContent.trim(); }
        const label = el.closest("label");
        if (label) {
            const text = Array.from(label.childNodes).filter(n => n.nodeType === Node.TEXT_NODE)
                .map(n => n.textContent).join(" ").replace(/[:\s]+$/, "").trim();
            if (text) { return text; }
        }
        const holder = el.closest("[aria-label]");
        if (holder && holder !== el) { return holder.getAttribute("aria-label"); }
        return (el.id || "options").replace(/[-_]+/g, " ");
    }
    function fix() {
        document.querySelectorAll(".dash-radioitems, .dash-checklist").forEach(list => {
            const radio = list.classList.contains("dash-radioitems");
            setAttr(list, "role", radio ? "radiogroup" : "group");
            if (!list.getAttribute("aria-labelledby")) { setAttr(list, "aria-label", groupName(list)); }
            list.querySelectorAll(".dash-options-list-option").forEach(option => {
                dropAttr(option, "role");
                dropAttr(option, "aria-selected");
            });
        });
        document.querySelectorAll(".dash-dropdown-focus-target[aria-hidden='true']").forEach(proxy => {
            setAttr(proxy, "tabindex", "-1");
        });
        document.querySelectorAll(".dash-slider-container").forEach(slider => {
            const name = groupName(slider);
            slider.querySelectorAll(".dash-slider-thumb").forEach(thumb => {
                if (!thumb.getAttribute("aria-label")) { setAttr(thumb, "aria-label", name); }
            });
            slider.querySelectorAll(".dash-range-slider-input").forEach(input => {
                if (!input.getAttribute("aria-label")) { setAttr(input, "aria-label", name + " (type a value)"); }
            });
        });
    }
    let queued = false;
    function schedule() {
        if (queued) { return; }
        queued = true;
        window.requestAnimationFrame(() => { queued = false; fix(); });
    }
    function start() {
        fix();
        new MutationObserver(schedule).observe(document.body, {childList: true, subtree: true, attributes: true,
            attributeFilter: ["role", "aria-selected", "aria-hidden", "tabindex", "aria-label"]});
    }
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
    else { start(); }
})();
