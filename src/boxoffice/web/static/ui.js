// Small DOM helpers: build elements, show messages. No framework.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// A message area: role=alert for errors (read out at once), role=status for the rest.
export function messageBox(label) {
  const box = h("div", { class: "message", "aria-live": "polite", "data-role": label });
  return {
    element: box,
    error(text) { box.replaceChildren(h("p", { class: "error", role: "alert" }, text)); },
    info(text) { box.replaceChildren(h("p", { class: "info", role: "status" }, text)); },
    warn(text) { box.replaceChildren(h("p", { class: "warning", role: "status" }, text)); },
    clear() { box.replaceChildren(); },
  };
}

export function render(main, title, ...children) {
  document.title = `${title} · Boxoffice`;
  main.replaceChildren(h("h1", {}, title), ...children.filter((child) => child !== null && child !== undefined));
}

// A page that cannot show what was asked for: says why, and offers the next steps (links, or
// [label, onclick] pairs for buttons), the first of them the main one.
export function notice(main, title, text, steps) {
  const actions = steps.map(([label, target], index) => {
    const attributes = { class: index === 0 ? "button primary" : "button" };
    return typeof target === "function"
      ? h("button", { ...attributes, type: "button", onclick: target }, label)
      : h("a", { ...attributes, href: target }, label);
  });
  render(main, title, h("p", { class: "lead", "data-notice": title }, text), h("div", { class: "actions" }, actions));
}

// Where a signed-out visitor goes to sign in and come back here.
export function signInHere() {
  return `/signin?next=${encodeURIComponent(location.pathname + location.search)}`;
}

// Grey shapes where the page will be, drawn at once while its answers are on their way: a
// header, then a seat map ("map") or a card ("card").
export function skeleton(main, kind) {
  const bar = (width) => {
    const bone = h("span", { class: "bone" });
    bone.style.width = width; // through the CSSOM: the policy admits no style attributes
    return bone;
  };
  const body = kind === "map"
    ? h("div", { class: "bone-map" }, Array.from({ length: 8 * 14 }, () => h("span", { class: "bone bone-seat" })))
    : h("div", { class: "panel" }, bar("70%"), bar("45%"), bar("55%"));
  main.replaceChildren(h("div", { class: "skeleton", "aria-busy": "true", "aria-label": "Loading" },
    h("span", { class: "bone bone-title" }), bar("60%"), body));
}

export function meta(name) {
  return document.querySelector(`meta[name="boxoffice:${name}"]`)?.content || "";
}

export function field(label, input) {
  return h("label", { class: "field" }, h("span", {}, label), input);
}

export function go(path) {
  window.location.assign(path);
}

// Where to go back to after a detour (sign-in's `next`, the sandbox payment's `return_to`): the
// address resolved against this page's origin, as the browser itself would resolve it, kept only
// when it is on this origin; else `fallback`. Prefix checks cannot do this: "/\evil.example"
// and "/<TAB>/evil" both start with one "/" and lead elsewhere. An absolute URL is returned, so
// nothing is resolved a second time.
export function sameOrigin(address, fallback = "/") {
  const here = window.location.origin;
  try {
    const url = new URL(address || fallback, here);
    if (url.origin === here) return url.href;
  } catch {
    // not an address at all
  }
  return new URL(fallback, here).href;
}

// For a page that reloads as its filters change: each call of the returned function starts a
// load and gives back a check that it is still the latest (a late answer to an older load must
// not draw over a newer one).
export function loads() {
  let current = 0;
  return () => {
    const mine = ++current;
    return () => mine === current;
  };
}

// Runs an async action from a button: disabled meanwhile, errors into the message box.
export async function busy(button, messages, action) {
  button.disabled = true;
  try {
    return await action();
  } catch (error) {
    messages.error(error.message);
    return undefined;
  } finally {
    button.disabled = false;
  }
}
