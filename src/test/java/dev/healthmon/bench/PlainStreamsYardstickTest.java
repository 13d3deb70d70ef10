package dev.healthmon.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.healthmon.bench.PlainStreamsYardstick.Piece;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The yardstick's variants are named in {@code bench.aggregator.apps} and read back from those names. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PlainStreamsYardstickTest {

    @Test
    void aVariantIsParsedFromItsNameAndNamedAsParsed() {
        PlainStreamsYardstick two = PlainStreamsYardstick.parse("yardstick-rocksdb-twosources");
        assertThat(two).isEqualTo(new PlainStreamsYardstick(true, 0, true, Set.of(Piece.TWOSOURCES)));
        assertThat(two.name()).isEqualTo("yardstick-rocksdb-twosources");
        PlainStreamsYardstick one = PlainStreamsYardstick.parse("yardstick-memory-cache10m-nooutput");
        assertThat(one).isEqualTo(new PlainStreamsYardstick(false, 10 << 20, false, Set.of()));
        assertThat(one.name()).isEqualTo("yardstick-memory-cache10m-nooutput");
    }

    @Test
    void theAggregatorsPiecesAreAddedByTheirSuffixesAndNamedInOneOrder() {
        PlainStreamsYardstick all = PlainStreamsYardstick.parse("yardstick-rocksdb-json-fold-registrations-decode"
                + "-twosources");
        assertThat(all.pieces()).isEqualTo(EnumSet.allOf(Piece.class));
        assertThat(all.name()).isEqualTo("yardstick-rocksdb-twosources-decode-registrations-fold-json");
        assertThat(PlainStreamsYardstick.parse("yardstick-rocksdb-decode").pieces()).containsExactly(Piece.DECODE);
    }

    @Test
    void aPieceWithoutWhatItNeedsIsRefused() {
        assertThatThrownBy(() -> PlainStreamsYardstick.parse("yardstick-rocksdb-twosources-registrations-fold"))
                .hasMessageContaining("-fold needs -decode and -registrations");
        assertThatThrownBy(() -> PlainStreamsYardstick.parse("yardstick-rocksdb-registrations"))
                .hasMessageContaining("-registrations needs -twosources");
    }
}
