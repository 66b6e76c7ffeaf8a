// A language switch on every page: English <-> 简体中文.
//
// `make book` builds the English edition into book/book/ and the Chinese one
// into book/book/zh-CN/, with the same file names, so the other edition's
// copy of this page is one folder down (or up). mdBook sets <html lang> from
// the book's language and `path_to_root` for every page.
(function () {
    "use strict";
    var zh = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;
    // This page's path below the edition's root, e.g. "lesson05-threaded.html".
    var depth = (typeof path_to_root === "string" ? path_to_root : "").split("../").length - 1;
    var parts = window.location.pathname.split("/");
    var page = parts.slice(parts.length - 1 - depth).join("/") || "index.html";
    var root = typeof path_to_root === "string" ? path_to_root : "";
    var target = zh ? root + "../" + page : root + "zh-CN/" + page;

    var link = document.createElement("a");
    link.href = target;
    link.className = "language-switch";
    link.textContent = zh ? "English" : "简体中文";
    link.title = zh ? "Read this page in English" : "阅读本页的中文版";
    link.setAttribute("lang", zh ? "en" : "zh-CN");
    link.style.marginInline = "0.5em";
    link.style.alignSelf = "center";

    var bar = document.querySelector(".right-buttons") || document.querySelector("#menu-bar");
    if (bar) {
        bar.insertBefore(link, bar.firstChild);
    }
})();
