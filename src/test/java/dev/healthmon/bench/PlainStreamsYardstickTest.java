package dev.healthmon.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The yardstick's variants are named in {@code bench.aggregator.apps} and read back from those names. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PlainStreamsYardstickTest {

    @Test
    void aVariantIsParsedFromItsNameAndNamedAsParsed() {
        PlainStreamsYardstick two = PlainStreamsYardstick.parse("yardstick-rocksdb-twosources");
        assertThat(two).isEqualTo(new PlainStreamsYardstick(true, 0, true, true));
        assertThat(two.name()).isEqualTo("yardstick-rocksdb-twosources");
        PlainStreamsYardstick one = PlainStreamsYardstick.parse("yardstick-memory-cache10m-nooutput");
        assertThat(one).isEqualTo(new PlainStreamsYardstick(false, 10 << 20, false, false));
        assertThat(one.name()).isEqualTo("yardstick-memory-cache10m-nooutput");
    }
}
