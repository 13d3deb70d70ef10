package dev.healthmon.registration;

import static dev.healthmon.support.Registrations.json;
import static dev.healthmon.support.Registrations.valid;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class InternerTest {

    private record Value(String name) {}

    @Test
    void equalValuesComeBackAsOneInstance() {
        Interner<Value> interner = new Interner<>(10);
        Value first = interner.intern(new Value("a"));

        assertThat(interner.intern(new Value("a"))).isSameAs(first);
        assertThat(interner.intern(new Value("b"))).isNotSameAs(first).isEqualTo(new Value("b"));
    }

    @Test
    void stopsSharingAtCapacityInsteadOfGrowing() {
        Interner<Value> interner = new Interner<>(2);
        interner.intern(new Value("a"));
        interner.intern(new Value("b"));
        Value c = new Value("c");

        assertThat(interner.intern(c)).isSameAs(c);
        assertThat(interner.size()).isEqualTo(2);
    }

    @Test
    void backendsWithTheSameHealthCheckShareOneSettingsInstance() {
        DecodedRegistration.Valid a = valid(json("a", "http://a.test/"));
        DecodedRegistration.Valid b = valid(json("b", "http://b.test/"));

        assertThat(b.settings()).isSameAs(a.settings());
        assertThat(b.registration().healthCheck()).isSameAs(a.registration().healthCheck());
    }
}
