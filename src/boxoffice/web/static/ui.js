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
