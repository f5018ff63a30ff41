// Prompts of the shapes dataset: "a large red circle on a blue background".
import { DEFAULT_SHAPES_VOCABULARY, type ShapeAttributes, type ShapesVocabulary } from "./vocabulary.ts";

const ARTICLES = new Set(["a", "an", "the"]);

export function promptOf(attributes: ShapeAttributes): string {
  return `a ${attributes.size} ${attributes.color} ${attributes.shape} on a ${attributes.background} background`;
}

/** Expected attributes of a dataset-style prompt, or null when it does not follow that grammar. */
export function parsePrompt(
  prompt: string,
  vocabulary: ShapesVocabulary = DEFAULT_SHAPES_VOCABULARY,
): ShapeAttributes | null {
  const words = prompt
    .toLowerCase()
    .split(/\s+/)
    .map((word) => word.replace(/^[.,;:!?"']+|[.,;:!?"']+$/g, ""))
    .filter((word) => word.length > 0 && !ARTICLES.has(word));
  if (words.length !== 6) return null;
  const [size, color, shape, on, background, backgroundWord] = words as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const isColor = (word: string) => Object.hasOwn(vocabulary.palette, word);
  if (!Object.hasOwn(vocabulary.sizes, size) || !isColor(color) || !vocabulary.shapes.includes(shape)) return null;
  if (on !== "on" || !isColor(background) || backgroundWord !== "background") return null;
  return { background, color, shape, size };
}
