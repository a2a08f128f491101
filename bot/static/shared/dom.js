// The page's elements, looked up once: {name: "element-id", ...} -> {name: element, ...}.
export function elementsById(ids) {
  return Object.fromEntries(
    Object.entries(ids).map(([name, id]) => [name, document.getElementById(id)]),
  );
}
