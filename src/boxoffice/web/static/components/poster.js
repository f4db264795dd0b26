// A movie's poster (the server's own WebP, at its versioned address, cached for good), or, for a
// movie without one, a plain tile with its initials so that cards keep their shape. Decorative:
// the title is always written beside it.
import { h } from "../ui.js";

export function poster(movie, size = "card") {
  if (movie?.poster_url) {
    return h("img", { class: `poster poster-${size}`, src: movie.poster_url, alt: "", width: 480, height: 720, loading: "lazy", decoding: "async" });
  }
  const initials = (movie?.title || "").split(/\s+/).filter(Boolean).slice(0, 2).map((word) => word[0]).join("");
  return h("div", { class: `poster poster-${size} poster-none`, "aria-hidden": "true" }, initials);
}
