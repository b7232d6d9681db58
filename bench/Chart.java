// Bar chart of bench/run.sh's ratios (target / native tmpfs, 1.0 = as fast as native), drawn with
// java.awt in headless mode so the suite needs nothing beyond the JDK.
//
//   $JAVA_HOME/bin/java -Djava.awt.headless=true bench/Chart.java RATIOS.tsv OUT.png "title"
//
// RATIOS.tsv: one line per bar, "workload<TAB>series<TAB>ratio"; workloads and series keep the
// order of their first appearance.
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

public class Chart {
    public static void main(String[] args) throws Exception {
        Map<String, Map<String, Double>> data = new LinkedHashMap<>();
        List<String> series = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            String[] f = line.split("\t");
            if (f.length < 3) continue;
            data.computeIfAbsent(f[0], k -> new LinkedHashMap<>()).put(f[1], Double.parseDouble(f[2]));
            if (!series.contains(f[1])) series.add(f[1]);
        }
        String title = args.length > 2 ? args[2] : "ratio to native tmpfs";
        double max = 1.0;
        for (Map<String, Double> m : data.values()) for (double v : m.values()) max = Math.max(max, v);
        max = Math.ceil(max * 5) / 5;

        int groupWidth = 40 + 36 * series.size(), left = 60, top = 50, plotH = 360, bottom = 90;
        int width = left + 20 + groupWidth * data.size(), height = top + plotH + bottom;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, left, 22);

        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (double y = 0; y <= max + 1e-9; y += 0.2) {
            int py = top + plotH - (int) Math.round(y / max * plotH);
            g.setColor(new Color(225, 225, 225));
            g.drawLine(left, py, width - 20, py);
            g.setColor(Color.BLACK);
            g.drawString(String.format("%.1f", y), left - 30, py + 4);
        }
        int one = top + plotH - (int) Math.round(1.0 / max * plotH);
        g.setColor(Color.RED);
        g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
        g.drawLine(left, one, width - 20, one);
        g.setStroke(new BasicStroke(1));

        Color[] palette = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0x9467bd)};
        int gx = left + 20;
        for (Map.Entry<String, Map<String, Double>> e : data.entrySet()) {
            for (int s = 0; s < series.size(); s++) {
                Double v = e.getValue().get(series.get(s));
                if (v == null) continue;
                int h = (int) Math.round(v / max * plotH), x = gx + s * 36;
                g.setColor(palette[s % palette.length]);
                g.fillRect(x, top + plotH - h, 30, h);
                g.setColor(Color.BLACK);
                g.drawString(String.format("%.2f", v), x, top + plotH - h - 3);
            }
            g.drawString(e.getKey(), gx, top + plotH + 16);
            gx += groupWidth;
        }
        g.drawLine(left, top + plotH, width - 20, top + plotH);
        int lx = left;
        for (int s = 0; s < series.size(); s++) {
            g.setColor(palette[s % palette.length]);
            g.fillRect(lx, height - 40, 14, 14);
            g.setColor(Color.BLACK);
            g.drawString(series.get(s) + " / native", lx + 20, height - 29);
            lx += 200;
        }
        g.dispose();
        ImageIO.write(img, "png", new File(args[1]));
    }
}
