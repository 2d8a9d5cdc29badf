// Renders tests/fixtures/inference/chat-template/conversations.json with the Qwen3 Jinja chat template
// (from tokenizer_config.json) using @huggingface/jinja, the reference implementation, and writes
// expected.json beside it. The C# tests compare Qwen3ChatTemplate against that file, so they need no node.
//
//   node render.mjs [path/to/tokenizer_config.json]
//
// Variants: "hybrid" is the template as shipped (enable_thinking unset, and enable_thinking=false);
// "thinking-2507" is the same template with the Qwen3-4B-Thinking-2507 generation prompt, which always opens
// "<think>\n" (we derive it by replacing the generation-prompt block and fail loudly if that block changed).
import { Template } from "@huggingface/jinja";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const configPath = process.argv[2] ?? join(root, "..", "shared", "models", "qwen3-tokenizer", "tokenizer_config.json");
const fixtures = join(root, "tests", "fixtures", "inference", "chat-template");

const hybrid = JSON.parse(readFileSync(configPath, "utf8")).chat_template;
const hybridPrompt =
  "{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n    {%- if enable_thinking is defined and enable_thinking is false %}\n        {{- '<think>\\n\\n</think>\\n\\n' }}\n    {%- endif %}\n{%- endif %}";
if (!hybrid.includes(hybridPrompt)) throw new Error("the generation-prompt block of the template is not the expected one");
const thinking2507 = hybrid.replace(hybridPrompt, "{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n<think>\\n' }}\n{%- endif %}");

const templates = { hybrid: new Template(hybrid), "thinking-2507": new Template(thinking2507) };
const conversations = JSON.parse(readFileSync(join(fixtures, "conversations.json"), "utf8"));
const expected = [];
for (const c of conversations) {
  const cases = [
    { variant: "hybrid", enable_thinking: null },
    { variant: "hybrid", enable_thinking: false },
    { variant: "thinking-2507", enable_thinking: null },
  ];
  for (const k of cases) {
    const context = { messages: c.messages, add_generation_prompt: c.add_generation_prompt, bos_token: "", eos_token: "<|im_end|>" };
    if (k.enable_thinking !== null) context.enable_thinking = k.enable_thinking;
    expected.push({ name: c.name, variant: k.variant, enable_thinking: k.enable_thinking,
                    add_generation_prompt: c.add_generation_prompt, rendered: templates[k.variant].render(context) });
  }
}
writeFileSync(join(fixtures, "expected.json"), JSON.stringify(expected, null, 2) + "\n");
console.log(`wrote ${expected.length} renderings to ${join(fixtures, "expected.json")}`);
