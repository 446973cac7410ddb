package io.nsqpush.docs;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's option tables and application.properties agree with the declarations (mvn test alone catches drift). */
class ReadmeTablesTest {

    @Test
    void readmeTablesAreFresh() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        String fresh = ReadmeTables.render(readme);
        for (String name : ReadmeTables.TABLES) {
            assertEquals(ReadmeTables.region(fresh, name), ReadmeTables.region(readme, name),
                    "README.md's " + name + " table is stale: mvn process-test-classes regenerates it");
        }
    }

    @Test
    void cellsCannotBreakTheTable() {
        assertEquals("a \\| b c", ReadmeTables.cell("a | b\n  c"));
        assertEquals("the topic &lt;topic>.dead-letter", ReadmeTables.text("the topic <topic>.dead-letter"));
    }

    @Test
    void applicationPropertiesNamesDeclaredKeysAndTheirDefaults() throws IOException {
        assertEquals(List.of(), DeclaredKeys.problems(Files.readString(Path.of("application.properties"))));
    }

    @Test
    void unknownKeysAndWrongCommentedDefaultsAreFound() {
        List<String> problems = DeclaredKeys.problems("nsq.topc=orders\n#push.timeout=20s\n#dead-letter.uri=file:x\n"
                + "#camel.management.port=8080\ncamel.main.name=other\n# prose: not a key\n");
        assertEquals(3, problems.size(), problems.toString());
        // the misspelt key and the two wrong defaults, not the matching default or the uncommented Camel key
        assertTrue(problems.get(0).startsWith("nsq.topc "), problems.toString());
        assertTrue(problems.get(1).contains("#push.timeout=20s") && problems.get(1).contains("15s"),
                problems.toString());
        assertTrue(problems.get(2).contains("#camel.management.port=8080") && problems.get(2).contains("9876"),
                problems.toString());
    }
}
