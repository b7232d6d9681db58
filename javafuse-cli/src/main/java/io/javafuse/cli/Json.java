package io.javafuse.cli;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Just enough JSON for statistics files: maps, lists, strings, numbers, booleans. */
final class Json {
    private Json() {}

    static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, 0);
        return out.append('\n').toString();
    }

    private static void write(StringBuilder out, Object value, int depth) {
        switch (value) {
            case null -> out.append("null");
            case String s -> string(out, s);
            case Boolean b -> out.append(b);
            case Double d -> out.append(Double.isFinite(d) ? Double.toString(round(d)) : "null");
            case Number n -> out.append(n);
            case Enum<?> e -> string(out, e.name());
            case Map<?, ?> map -> {
                out.append('{');
                Iterator<? extends Map.Entry<?, ?>> entries = map.entrySet().iterator();
                while (entries.hasNext()) {
                    Map.Entry<?, ?> entry = entries.next();
                    indent(out, depth + 1);
                    string(out, String.valueOf(entry.getKey() instanceof Enum<?> e ? e.name() : entry.getKey()));
                    out.append(": ");
                    write(out, entry.getValue(), depth + 1);
                    if (entries.hasNext()) {
                        out.append(',');
                    }
                }
                if (!map.isEmpty()) {
                    indent(out, depth);
                }
                out.append('}');
            }
            case List<?> list -> {
                out.append('[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) {
                        out.append(", ");
                    }
                    write(out, list.get(i), depth + 1);
                }
                out.append(']');
            }
            default -> string(out, value.toString());
        }
    }

    private static double round(double d) {
        return Math.round(d * 1000.0) / 1000.0;
    }

    private static void indent(StringBuilder out, int depth) {
        out.append('\n').append("  ".repeat(depth));
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
