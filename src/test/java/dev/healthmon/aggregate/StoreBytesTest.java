package dev.healthmon.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.healthmon.events.FailureKind;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Outcome;
import dev.healthmon.status.Reason;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Enum names in store values: matched on their bytes, in the format stored values already hold. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StoreBytesTest {

    @Test
    void everyConstantOfEveryStoredEnumIsWrittenAsItsLengthPrefixedNameAndReadBack() {
        List<Class<? extends Enum<?>>> types = List.of(HealthStatus.class, Outcome.class, Reason.class,
                FailureKind.class, StatusTransition.Kind.class);
        for (Class<? extends Enum<?>> type : types) {
            for (Enum<?> constant : type.getEnumConstants()) {
                byte[] written = new StoreBytes.Writer().name(constant).toByteArray();
                assertThat(written).as("%s", constant).isEqualTo(lengthPrefixed(constant.name()));
                assertThat(readName(written, constant.getDeclaringClass())).isSameAs(constant);
            }
        }
    }

    @Test
    void aNameThatIsAPrefixOrAnExtensionOfAConstantsNameIsRefusedAsValueOfRefusesIt() {
        for (String name : new String[] {"HEALTH", "HEALTHYX", "UN", "", "healthy"}) {
            assertThatThrownBy(() -> readName(lengthPrefixed(name), HealthStatus.class))
                    .as(name).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("No enum constant").hasMessageEndingWith("HealthStatus." + name);
        }
    }

    @Test
    void aNameIsReadWithinItsFieldAndLeavesTheReaderAfterIt() {
        StoreBytes.Writer w = new StoreBytes.Writer();
        w.name(Outcome.UNHEALTHY).name(Outcome.HEALTHY).unsigned(7);
        StoreBytes.Reader r = new StoreBytes.Reader(w.toByteArray(), 0);
        assertThat(r.name(Outcome.class)).isEqualTo(Outcome.UNHEALTHY);
        assertThat(r.name(Outcome.class)).isEqualTo(Outcome.HEALTHY);
        assertThat(r.unsigned()).isEqualTo(7);
    }

    private static <E extends Enum<E>> Object readName(byte[] bytes, Class<?> type) {
        @SuppressWarnings("unchecked")
        Class<E> enumType = (Class<E>) type;
        return new StoreBytes.Reader(bytes, 0).name(enumType);
    }

    private static byte[] lengthPrefixed(String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(utf8.length);
        out.write(utf8, 0, utf8.length);
        return out.toByteArray();
    }
}
