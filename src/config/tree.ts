/** Lines of tokens -> a tree of statements, splitting at `{` / `}` as keepalived does. */
import type { GenericNode } from './model';
import type { Line } from './lexer';
import { Diagnostics } from './errors';

/** Deeper blocks are read for their braces only: no keepalived.conf nests past a handful. */
const MAX_BLOCK_DEPTH = 1000;

/** Where each block's closing '}' was (keepalived reports some problems there); outside the model. */
export const blockEnd = new WeakMap<GenericNode, { file: string; line: number }>();

export function buildTree(lines: Line[], diags: Diagnostics): GenericNode[] {
  let tooDeep = false;
  const root: GenericNode = { keyword: '', args: [], children: [], file: '', line: 0 };
  const stack: GenericNode[] = [root];
  for (const ln of lines) {
    let cur: string[] = [];
    const top = (): GenericNode => stack[stack.length - 1];
    const flush = (): GenericNode | undefined => {
      if (cur.length === 0) return undefined;
      const node: GenericNode = { keyword: cur[0], args: cur.slice(1), file: ln.file, line: ln.line };
      top().children!.push(node);
      cur = [];
      return node;
    };
    let startOfLine = true;
    for (const tok of ln.tokens) {
      if (!tok.quoted && tok.text === '{' && stack.length > MAX_BLOCK_DEPTH) {
        flush();
        if (!tooDeep) diags.error('E_CONFIG_SYNTAX', ln.file, ln.line, `blocks nested more than ${MAX_BLOCK_DEPTH} deep - ignoring the deeper ones`);
        tooDeep = true;
        stack.push({ keyword: '{', args: [], children: [], file: ln.file, line: ln.line }); // not attached: dropped
      } else if (!tok.quoted && tok.text === '{') {
        let node = flush();
        if (!node) {
          const sib = top().children!;
          const prev = sib[sib.length - 1];
          if (startOfLine && prev && !prev.children) node = prev; // `{` on the line after its keyword
          else {
            diags.warn('E_CONFIG_SYNTAX', ln.file, ln.line, "Unexpected '{' - ignoring");
            node = { keyword: '{', args: [], file: ln.file, line: ln.line };
          }
        }
        node.children = [];
        stack.push(node);
      } else if (!tok.quoted && tok.text === '}') {
        flush();
        if (stack.length > 1) blockEnd.set(stack.pop()!, { file: ln.file, line: ln.line });
        else diags.warn('E_CONFIG_SYNTAX', ln.file, ln.line, "Unexpected '}' - ignoring");
      } else {
        cur.push(tok.text);
      }
      startOfLine = false;
    }
    flush();
  }
  const unclosed = stack.length - 1;
  for (let i = unclosed; i >= 1; i--) {
    const n = stack[i];
    if (unclosed > 10 && i <= unclosed - 10) {
      diags.error('E_CONFIG_UNTERMINATED', n.file, n.line, `${i} more blocks opened before this one are not closed by '}'`);
      break;
    }
    diags.error('E_CONFIG_UNTERMINATED', n.file, n.line, `${[n.keyword, ...n.args].join(' ')}: block opened here is not closed by '}'`);
  }
  return root.children!;
}
