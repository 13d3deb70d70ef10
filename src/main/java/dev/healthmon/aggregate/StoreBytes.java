package dev.healthmon.aggregate;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The primitives of the aggregator's binary store values ({@link StatusStoreCodec}): variable-length
 * integers (zig-zag, so small negative numbers stay small), length-prefixed UTF-8 strings, enums by
 * name (so reordering an enum cannot change what a stored value means), instants to the nanosecond,
 * optionals as a presence byte, and <em>fields</em>: a tag and the length of what follows, so a
 * reader skips the fields it does not know and fills defaults for those a value lacks. Not
 * thread-safe: one writer or reader per value.
 */
final class StoreBytes {

    private StoreBytes() {}

    /** Appends to a growing array. */
    static final class Writer {
        private byte[] buf = new byte[256];
        private int size;

        byte[] toByteArray() {
            return Arrays.copyOf(buf, size);
        }

        /** {@code bytes[from, to)} as they are: a part read earlier and written back unchanged. */
        Writer bytes(byte[] bytes, int from, int to) {
            ensure(to - from);
            System.arraycopy(bytes, from, buf, size, to - from);
            size += to - from;
            return this;
        }

        Writer raw(int b) {
            ensure(1);
            buf[size++] = (byte) b;
            return this;
        }

        Writer unsigned(long v) {
            ensure(10);
            while ((v & ~0x7FL) != 0) {
                buf[size++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[size++] = (byte) v;
            return this;
        }

        Writer number(long v) {
            return unsigned((v << 1) ^ (v >> 63));
        }

        Writer bool(boolean v) {
            return raw(v ? 1 : 0);
        }

        Writer doubleBits(double v) {
            long bits = Double.doubleToRawLongBits(v);
            ensure(8);
            for (int i = 0; i < 8; i++) {
                buf[size++] = (byte) (bits >>> (8 * i));
            }
            return this;
        }

        Writer text(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            unsigned(bytes.length);
            ensure(bytes.length);
            System.arraycopy(bytes, 0, buf, size, bytes.length);
            size += bytes.length;
            return this;
        }

        Writer name(Enum<?> e) {
            byte[] bytes = EnumNames.of(e.getDeclaringClass()).bytes(e);
            unsigned(bytes.length);
            ensure(bytes.length);
            System.arraycopy(bytes, 0, buf, size, bytes.length);
            size += bytes.length;
            return this;
        }

        Writer instant(Instant at) {
            return number(at.getEpochSecond()).unsigned(at.getNano());
        }

        <T> Writer optional(Optional<T> value, BiConsumer<Writer, T> write) {
            bool(value.isPresent());
            value.ifPresent(v -> write.accept(this, v));
            return this;
        }

        <T> Writer list(List<T> values, BiConsumer<Writer, T> write) {
            unsigned(values.size());
            values.forEach(v -> write.accept(this, v));
            return this;
        }

        Writer labels(Map<String, String> labels) {
            unsigned(labels.size());
            labels.forEach((k, v) -> text(k).text(v));
            return this;
        }

        /** A field: its tag, the length of its body, the body. */
        <V> void field(int tag, V value, BiConsumer<Writer, V> body) {
            unsigned(tag);
            ensure(1);
            int lengthAt = size++;
            body.accept(this, value);
            int length = size - lengthAt - 1;
            int extra = unsignedSize(length) - 1;
            if (extra > 0) { // a body of 128 bytes or more: its length takes more than the byte reserved for it
                ensure(extra);
                System.arraycopy(buf, lengthAt + 1, buf, lengthAt + 1 + extra, length);
                size += extra;
            }
            int end = size;
            size = lengthAt;
            unsigned(length);
            size = end;
        }

        private static int unsignedSize(long v) {
            int n = 1;
            while ((v & ~0x7FL) != 0) {
                n++;
                v >>>= 7;
            }
            return n;
        }

        private void ensure(int more) {
            if (size + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
            }
        }
    }

    /** Reads what a {@link Writer} wrote; every malformed input throws {@link IllegalArgumentException}. */
    static final class Reader {
        private final byte[] buf;
        private int pos;
        private int limit;

        Reader(byte[] buf, int from) {
            this.buf = buf;
            this.pos = from;
            this.limit = buf.length;
        }

        /** Where the next read starts. */
        int position() {
            return pos;
        }

        /** A copy of what was read since {@code from} (a {@link #position()}). */
        byte[] copySince(int from) {
            return Arrays.copyOfRange(buf, from, pos);
        }

        int raw() {
            if (pos >= limit) {
                throw new IllegalArgumentException("store value ends early at byte " + pos);
            }
            return buf[pos++] & 0xFF;
        }

        long unsigned() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int b = raw();
                v |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return v;
                }
            }
            throw new IllegalArgumentException("store value has a number longer than 64 bits at byte " + pos);
        }

        int count() {
            long n = unsigned();
            // Every element takes at least one byte. A count past 2^63 reads as negative: refused too, or a field's
            // length could move the reader backwards and have it read the same field for ever.
            if (n < 0 || n > limit - pos) {
                throw new IllegalArgumentException("store value counts " + n + " elements in " + (limit - pos)
                        + " bytes");
            }
            return (int) n;
        }

        long number() {
            long v = unsigned();
            return (v >>> 1) ^ -(v & 1);
        }

        int integer() {
            return Math.toIntExact(number());
        }

        boolean bool() {
            return raw() != 0;
        }

        double doubleBits() {
            long bits = 0;
            for (int i = 0; i < 8; i++) {
                bits |= (long) raw() << (8 * i);
            }
            return Double.longBitsToDouble(bits);
        }

        String text() {
            int length = count();
            String s = new String(buf, pos, length, StandardCharsets.UTF_8);
            pos += length;
            return s;
        }

        /**
         * The constant whose name the next text is, matched on the bytes: a status value holds about a
         * hundred names (its recent checks' outcomes, its transitions' statuses), and making each a
         * {@code String} for {@link Enum#valueOf} was a sixth of reading the value (JFR, docs/BENCHMARKS.md).
         *
         * @throws IllegalArgumentException when no constant of {@code type} has that name, as {@code valueOf}
         */
        <E extends Enum<E>> E name(Class<E> type) {
            int length = count();
            E constant = EnumNames.of(type).match(type, buf, pos, length);
            pos += length;
            return constant;
        }

        Instant instant() {
            return Instant.ofEpochSecond(number(), unsigned());
        }

        <T> Optional<T> optional(Function<Reader, T> read) {
            return bool() ? Optional.of(read.apply(this)) : Optional.empty();
        }

        <T> List<T> list(Function<Reader, T> read) {
            int n = count();
            List<T> values = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                values.add(read.apply(this));
            }
            return values;
        }

        Map<String, String> labels() {
            int n = count();
            Map<String, String> labels = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                labels.put(text(), text());
            }
            return labels;
        }

        /**
         * Reads fields to the end: each known tag's body with {@code read}, an unknown one skipped (a
         * newer version's field). A body is read within its own length, and what a body has beyond what
         * its reader takes is skipped too.
         */
        void fields(FieldReader read) {
            while (pos < limit) {
                int tag = Math.toIntExact(unsigned());
                int length = count();
                int end = pos + length;
                int outer = limit;
                limit = end;
                read.read(tag, this);
                pos = end;
                limit = outer;
            }
        }
    }

    /** The UTF-8 names of an enum's constants, by ordinal, computed once per enum type. */
    private static final class EnumNames {
        private static final ClassValue<EnumNames> BY_TYPE = new ClassValue<>() {
            @Override
            protected EnumNames computeValue(Class<?> type) {
                Object[] constants = type.getEnumConstants();
                byte[][] names = new byte[constants.length][];
                for (int i = 0; i < constants.length; i++) {
                    names[i] = ((Enum<?>) constants[i]).name().getBytes(StandardCharsets.UTF_8);
                }
                return new EnumNames(constants, names);
            }
        };

        private final Object[] constants;
        private final byte[][] names;

        private EnumNames(Object[] constants, byte[][] names) {
            this.constants = constants;
            this.names = names;
        }

        static EnumNames of(Class<?> type) {
            return BY_TYPE.get(type);
        }

        byte[] bytes(Enum<?> constant) {
            return names[constant.ordinal()];
        }

        <E extends Enum<E>> E match(Class<E> type, byte[] buf, int from, int length) {
            for (int i = 0; i < names.length; i++) {
                if (Arrays.equals(names[i], 0, names[i].length, buf, from, from + length)) {
                    return type.cast(constants[i]);
                }
            }
            throw new IllegalArgumentException("No enum constant " + type.getCanonicalName() + "."
                    + new String(buf, from, length, StandardCharsets.UTF_8));
        }
    }

    /** Reads the body of a field with the given tag, or nothing for a tag it does not know. */
    @FunctionalInterface
    interface FieldReader {
        void read(int tag, Reader in);
    }
}
