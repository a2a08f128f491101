// Only what the server marked, and only these kinds of address: it builds links from the
// registry's own numbers and pages, never from what anyone typed.
const SAFE_HREF = /^(tel:\+?[0-9]+|https?:\/\/[^\s"'<>]+)$/;

// Appends `text` to `node` as text, with the marked numbers and addresses in it as links.
export function fillText(node, text, links) {
  let rest = text;
  for (const link of Array.isArray(links) ? links : []) {
    if (!link || typeof link.text !== "string" || typeof link.href !== "string") continue;
    const at = link.text ? rest.indexOf(link.text) : -1;
    if (at < 0 || !SAFE_HREF.test(link.href)) continue;
    if (at > 0) node.appendChild(document.createTextNode(rest.slice(0, at)));
    const anchor = document.createElement("a");
    anchor.href = link.href;
    anchor.textContent = link.text;
    anchor.dir = "ltr"; // a number keeps its digit order inside right-to-left text
    if (!link.href.startsWith("tel:")) {
      anchor.target = "_blank";
      anchor.rel = "noopener noreferrer"; // the page opened learns nothing of this chat
    }
    node.appendChild(anchor);
    rest = rest.slice(at + link.text.length);
  }
  if (rest) node.appendChild(document.createTextNode(rest));
}
