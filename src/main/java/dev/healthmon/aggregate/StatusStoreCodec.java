package dev.healthmon.aggregate;

import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Reason;
import dev.healthmon.status.Thresholds;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.BiConsumer;

/**
 * The binary format of the aggregator's store values ({@link StatusState} in {@code statuses},
 * {@link TrackedBackend} in {@code registrations}; docs/formats.md): byte {@value #FORMAT}, then
 * tagged fields ({@link StoreBytes}). Every event read both values and wrote the status whole as JSON
 * through Jackson trees, half the stream thread's time (docs/BENCHMARKS.md); this format takes a
 * fraction of that and of the bytes. Values written as JSON by earlier versions start with {@code
 * '{'} and are read by {@link StatusJson}; nothing writes JSON into the stores any more.
 *
 * <p>Each top-level field is one line of {@link #STATE} or {@link #TRACKED}: its tag (never reused),
 * how to write it and how to read it into a draft whose defaults stand for a value written before
 * the field existed. A reader skips tags it does not know, so an older version reads a newer value.
 * Inside a field the parts are a fixed sequence: changing one is a new field with a new tag.
 * Stateless and thread-safe.
 */
final class StatusStoreCodec {

    /** The first byte of a binary store value; JSON never starts with it. */
    static final int FORMAT = 1;
    /** More recent statuses, in all, than any flap window keeps (at most 1,000): a corrupt value, refused. */
    private static final int MAX_RECENT = 1000;

    private StatusStoreCodec() {}

    /** A top-level field: its tag, how to write it from the value, how to read it into a draft. */
    private record Field<V, D>(int tag, BiConsumer<StoreBytes.Writer, V> write,
                               BiConsumer<StoreBytes.Reader, D> read) {}

    private static final class StateDraft {
        BackendStatus view;
        Optional<StatusState.Applied> applied = Optional.empty();
        Flapping flapping = Flapping.NONE;
        Availability availability = Availability.EMPTY;
        List<StatusTransition> history = List.of();
        RecentChecks checks = RecentChecks.NONE;
    }

    private static final List<Field<StatusState, StateDraft>> STATE = List.of(
            new Field<>(1, (w, s) -> view(w, s.view()), (r, d) -> d.view = view(r)),
            new Field<>(2, (w, s) -> w.optional(s.applied(), StatusStoreCodec::applied),
                    (r, d) -> d.applied = r.optional(StatusStoreCodec::applied)),
            new Field<>(3, (w, s) -> flapping(w, s.flapping()), (r, d) -> d.flapping = flapping(r)),
            new Field<>(4, (w, s) -> availability(w, s.availability()), (r, d) -> d.availability = availability(r)),
            new Field<>(5, StatusStoreCodec::history, (r, d) -> d.history = StoredHistory.read(r, d.view)),
            new Field<>(6, (w, s) -> checks(w, s.checks()), (r, d) -> d.checks = StoredChecks.read(r)));

    private static final class TrackedDraft {
        String id;
        String name = "";
        Map<String, String> labels = Map.of();
        RegistrationVersion version;
        Thresholds thresholds = Thresholds.DEFAULTS;
        Duration longestInterval = StatusJson.LEGACY_FENCE_WINDOW;
        Duration timeout = Duration.ZERO;
        String fingerprint;

        void identity(String id, String name, Map<String, String> labels) {
            this.id = id;
            this.name = name;
            this.labels = labels;
        }

        void timing(Duration longestInterval, Duration timeout) {
            this.longestInterval = longestInterval;
            this.timeout = timeout;
        }
    }

    private static final List<Field<TrackedBackend, TrackedDraft>> TRACKED = List.of(
            new Field<>(1, (w, b) -> w.text(b.id()).text(b.name()).labels(b.labels()),
                    (r, d) -> d.identity(r.text(), r.text(), r.labels())),
            new Field<>(2, (w, b) -> version(w, b.version()), (r, d) -> d.version = version(r)),
            new Field<>(3, (w, b) -> w.unsigned(b.thresholds().unhealthy()).unsigned(b.thresholds().healthy()),
                    (r, d) -> d.thresholds = new Thresholds((int) r.unsigned(), (int) r.unsigned())),
            new Field<>(4, (w, b) -> w.unsigned(b.longestInterval().toMillis()).unsigned(b.timeout().toMillis()),
                    (r, d) -> d.timing(Duration.ofMillis(r.unsigned()), Duration.ofMillis(r.unsigned()))),
            new Field<>(5, (w, b) -> w.text(b.checkingFingerprint()), (r, d) -> d.fingerprint = r.text()));

    static boolean isBinary(byte[] bytes) {
        return bytes.length > 0 && bytes[0] == FORMAT;
    }

    static byte[] encode(StatusState s) {
        return write(STATE, s);
    }

    static StatusState decodeState(byte[] bytes) {
        StateDraft d = read(STATE, bytes, new StateDraft());
        if (d.view == null) {
            throw new IllegalArgumentException("status store value has no view");
        }
        return new StatusState(d.view, d.applied, d.flapping, d.availability, d.history, d.checks);
    }

    static byte[] encode(TrackedBackend b) {
        return write(TRACKED, b);
    }

    static TrackedBackend decodeTracked(byte[] bytes) {
        TrackedDraft d = read(TRACKED, bytes, new TrackedDraft());
        if (d.id == null || d.version == null || d.fingerprint == null) {
            throw new IllegalArgumentException("registrations store value lacks its id, version or fingerprint");
        }
        return new TrackedBackend(d.id, d.name, d.labels, d.version, d.thresholds, d.longestInterval, d.timeout,
                d.fingerprint);
    }

    private static <V, D> byte[] write(List<Field<V, D>> fields, V value) {
        StoreBytes.Writer w = new StoreBytes.Writer().raw(FORMAT);
        for (Field<V, D> f : fields) {
            w.field(f.tag(), value, f.write());
        }
        return w.toByteArray();
    }

    private static <V, D> D read(List<Field<V, D>> fields, byte[] bytes, D draft) {
        if (!isBinary(bytes)) {
            throw new IllegalArgumentException("not a binary store value (format " + FORMAT + ")");
        }
        StoreBytes.Reader in = new StoreBytes.Reader(bytes, 1);
        try {
            in.fields((tag, body) -> {
                for (Field<V, D> f : fields) {
                    if (f.tag() == tag) {
                        f.read().accept(body, draft);
                        return;
                    }
                }
            });
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) { // a number out of range for an int or an instant: the value is corrupt
            throw new IllegalArgumentException("corrupt store value: " + e, e);
        }
        return draft;
    }

    // ---- the parts, each a fixed sequence

    private static void view(StoreBytes.Writer w, BackendStatus s) {
        w.text(s.id()).text(s.name()).labels(s.labels()).name(s.status()).optional(s.reason(), StoreBytes.Writer::name)
                .instant(s.since()).optional(s.lastCheckedAt(), StoreBytes.Writer::instant)
                .bool(s.latencyMs().isPresent()).unsigned(s.latencyMs().orElse(0))
                .unsigned(s.consecutiveFailures()).unsigned(s.consecutiveSuccesses()).bool(s.flapping());
        share(w, s.availability().lastHour());
        share(w, s.availability().lastDay());
        w.optional(s.lastFailure(), (o, f) -> o.name(f.failure().kind()).text(f.failure().message())
                .bool(f.failure().httpStatus().isPresent()).unsigned(f.failure().httpStatus().orElse(0))
                .instant(f.at()));
        w.optional(s.checkedBy(), StoreBytes.Writer::text)
                .bool(s.ownerEpoch().isPresent()).number(s.ownerEpoch().orElse(0));
        version(w, s.registration());
    }

    private static BackendStatus view(StoreBytes.Reader r) {
        String id = r.text();
        String name = r.text();
        var labels = r.labels();
        HealthStatus status = r.name(HealthStatus.class);
        Optional<Reason> reason = r.optional(i -> i.name(Reason.class));
        var since = r.instant();
        var lastCheckedAt = r.optional(StoreBytes.Reader::instant);
        OptionalLong latency = r.bool() ? OptionalLong.of(r.unsigned()) : skipLong(r);
        int failures = (int) r.unsigned();
        int successes = (int) r.unsigned();
        boolean flapping = r.bool();
        var figures = new Availability.Figures(share(r), share(r));
        Optional<BackendStatus.LastFailure> lastFailure = r.optional(i -> {
            FailureKind kind = i.name(FailureKind.class);
            String message = i.text();
            OptionalInt http = i.bool() ? OptionalInt.of((int) i.unsigned()) : skipInt(i);
            return new BackendStatus.LastFailure(new Failure(kind, message, http), i.instant());
        });
        Optional<String> checkedBy = r.optional(StoreBytes.Reader::text);
        OptionalInt epoch = r.bool() ? OptionalInt.of(r.integer()) : skipInt(r);
        return new BackendStatus(id, name, labels, status, reason, since, lastCheckedAt, latency, failures, successes,
                flapping, figures, lastFailure, checkedBy, epoch, version(r));
    }

    private static void applied(StoreBytes.Writer w, StatusState.Applied a) {
        w.text(a.monitorId()).number(a.ownerEpoch()).number(a.registrationOffset()).number(a.sequence())
                .instant(a.checkedAt());
    }

    private static StatusState.Applied applied(StoreBytes.Reader r) {
        return new StatusState.Applied(r.text(), r.integer(), r.number(), r.number(), r.instant());
    }

    /** The recent statuses as runs (status, length): a backend's recent statuses are mostly one run. */
    private static void flapping(StoreBytes.Writer w, Flapping f) {
        List<HealthStatus> recent = f.recent();
        List<Integer> starts = new ArrayList<>();
        for (int i = 0; i < recent.size(); i++) {
            if (i == 0 || recent.get(i) != recent.get(i - 1)) {
                starts.add(i);
            }
        }
        w.unsigned(starts.size());
        for (int k = 0; k < starts.size(); k++) {
            int end = k + 1 < starts.size() ? starts.get(k + 1) : recent.size();
            w.name(recent.get(starts.get(k))).unsigned(end - starts.get(k));
        }
        w.bool(f.flapping());
    }

    private static Flapping flapping(StoreBytes.Reader r) {
        int runs = r.count();
        List<HealthStatus> recent = new ArrayList<>();
        for (int k = 0; k < runs; k++) {
            HealthStatus status = r.name(HealthStatus.class);
            long length = r.unsigned();
            // Bounded in total, not only per run: a run takes ~10 bytes, so a 1 MB value could otherwise stand for
            // 100 million statuses (and the next event copies them).
            if (length > MAX_RECENT - recent.size()) {
                throw new IllegalArgumentException("status store value has more than " + MAX_RECENT
                        + " recent statuses");
            }
            for (int i = 0; i < length; i++) {
                recent.add(status);
            }
        }
        return new Flapping(recent, r.bool());
    }

    private static void availability(StoreBytes.Writer w, Availability a) {
        w.number(a.newestMs());
        buckets(w, a.minutes());
        buckets(w, a.quarters());
    }

    private static Availability availability(StoreBytes.Reader r) {
        return new Availability(r.number(), buckets(r), buckets(r));
    }

    /** The transitions; those read from the store and unchanged go back as they were read ({@link StoredHistory}). */
    private static void history(StoreBytes.Writer w, StatusState s) {
        if (s.history() instanceof StoredHistory stored && stored.writableFor(s.view())) {
            stored.writeTo(w);
        } else {
            w.list(s.history(), (o, t) -> transition(o, t, s.view()));
        }
    }

    /** The status page's recent checks, each time as milliseconds after the one before: a few bytes a check. */
    private static void checks(StoreBytes.Writer w, RecentChecks checks) {
        if (checks.checks() instanceof StoredChecks stored) {
            stored.writeTo(w); // read from the store, or appended to on the bytes: already in this form
            return;
        }
        w.unsigned(checks.checks().size());
        long previous = 0;
        for (RecentChecks.Check c : checks.checks()) {
            long ms = c.at().toEpochMilli();
            w.number(ms - previous).name(c.outcome()).unsigned(c.latencyMs());
            previous = ms;
        }
    }

    /** Bucket starts as differences from the previous one: a few bytes each. */
    private static void buckets(StoreBytes.Writer w, List<Availability.Bucket> buckets) {
        w.unsigned(buckets.size());
        long previous = 0;
        for (Availability.Bucket b : buckets) {
            w.number(b.startMs() - previous).unsigned(b.up()).unsigned(b.total());
            previous = b.startMs();
        }
    }

    private static List<Availability.Bucket> buckets(StoreBytes.Reader r) {
        int n = r.count();
        List<Availability.Bucket> buckets = new ArrayList<>(n);
        long start = 0;
        for (int i = 0; i < n; i++) {
            start += r.number();
            buckets.add(new Availability.Bucket(start, (int) r.unsigned(), (int) r.unsigned()));
        }
        return buckets;
    }

    /** A transition: its backend's id, name and labels only when they are not the view's (they rarely differ). */
    private static void transition(StoreBytes.Writer w, StatusTransition t, BackendStatus view) {
        boolean own = !t.backendId().equals(view.id()) || !t.name().equals(view.name())
                || !t.labels().equals(view.labels());
        w.bool(own);
        if (own) {
            w.text(t.backendId()).text(t.name()).labels(t.labels());
        }
        w.name(t.kind()).name(t.from()).name(t.to()).optional(t.reason(), StoreBytes.Writer::name).instant(t.at());
    }

    static StatusTransition transition(StoreBytes.Reader r, BackendStatus view) {
        boolean own = r.bool();
        String id = own ? r.text() : view.id();
        String name = own ? r.text() : view.name();
        var labels = own ? r.labels() : view.labels();
        return new StatusTransition(id, name, labels, r.name(StatusTransition.Kind.class),
                r.name(HealthStatus.class), r.name(HealthStatus.class), r.optional(i -> i.name(Reason.class)),
                r.instant());
    }

    /** Reads past one transition, checking its parts as {@link #transition(StoreBytes.Reader, BackendStatus)}. */
    static void skipTransition(StoreBytes.Reader r) {
        if (r.bool()) {
            r.text();
            r.text();
            r.labels();
        }
        r.name(StatusTransition.Kind.class);
        r.name(HealthStatus.class);
        r.name(HealthStatus.class);
        r.optional(i -> i.name(Reason.class));
        r.instant();
    }

    private static void version(StoreBytes.Writer w, RegistrationVersion v) {
        w.unsigned(v.partition()).number(v.offset());
    }

    private static RegistrationVersion version(StoreBytes.Reader r) {
        return new RegistrationVersion((int) r.unsigned(), r.number());
    }

    private static void share(StoreBytes.Writer w, OptionalDouble share) {
        w.bool(share.isPresent());
        if (share.isPresent()) {
            w.doubleBits(share.getAsDouble());
        }
    }

    private static OptionalDouble share(StoreBytes.Reader r) {
        return r.bool() ? OptionalDouble.of(r.doubleBits()) : OptionalDouble.empty();
    }

    private static OptionalLong skipLong(StoreBytes.Reader r) {
        r.unsigned();
        return OptionalLong.empty();
    }

    private static OptionalInt skipInt(StoreBytes.Reader r) {
        r.number();
        return OptionalInt.empty();
    }
}
