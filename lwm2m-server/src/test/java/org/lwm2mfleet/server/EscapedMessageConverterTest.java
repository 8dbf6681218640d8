package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;

class EscapedMessageConverterTest {

    @Test
    void controlCharactersAreEscapedAndPlainTextIsUntouched() {
        assertThat(EscapedMessageConverter.escape("eve\r\n12:00:00.000 INFO  [main] AccessResource - ok"))
                .isEqualTo("eve\\r\\n12:00:00.000 INFO  [main] AccessResource - ok");
        assertThat(EscapedMessageConverter.escape("a\tb\u0000c\u001b[31md\u007f\u0085\u2028\u202e"))
                .isEqualTo("a\\tb\\u0000c\\u001b[31md\\u007f\\u0085\\u2028\\u202e");
        String plain = "sign-in refused for user 'zoë' from 127.0.0.1 \\n stays";
        assertThat(EscapedMessageConverter.escape(plain)).isSameAs(plain);
    }

    /** The logback.xml shipped in the jar (not the tests' own) uses the converter for %msg. */
    @Test
    void theShippedConfigurationWritesOneLinePerEventWhateverTheMessageHolds() throws Exception {
        LoggerContext context = new LoggerContext();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(getClass().getResource("/logback.xml"));
        ConsoleAppender<?> console = (ConsoleAppender<?>) context.getLogger("ROOT").getAppender("CONSOLE");
        @SuppressWarnings("unchecked")
        LayoutWrappingEncoder<ch.qos.logback.classic.spi.ILoggingEvent> encoder =
                (LayoutWrappingEncoder<ch.qos.logback.classic.spi.ILoggingEvent>) console.getEncoder();

        ch.qos.logback.classic.Logger logger = context.getLogger("org.lwm2mfleet.server.auth.AccessResource");
        LoggingEvent event = new LoggingEvent(EscapedMessageConverterTest.class.getName(), logger, Level.INFO,
                "sign-in refused for user '{}' from {}", null,
                new Object[] { "eve'\n12:00:00.000 INFO  [http-1] AccessResource - sign-in ok for user 'admin", "127.0.0.1" });
        String line = encoder.getLayout().doLayout(event);
        context.stop();

        assertThat(line.strip()).doesNotContain("\n", "\r")
                .contains("sign-in refused for user 'eve'\\n12:00:00.000 INFO  [http-1] AccessResource");
    }
}
